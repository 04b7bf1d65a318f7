using Microsoft.EntityFrameworkCore;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.BackupStorage.ObjectStore;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.BackupStorage.S3;

/// <summary>AddS3BackupStorage: a bucket (and key prefix) of an S3 store; S3's parameters, then the shared add procedure.</summary>
public static class AddS3BackupStorage
{
    public static ApiDescriptor Api { get; } = new()
    {
        Name = "AddS3BackupStorage",
        Method = "POST",
        Path = S3StorageType.ApiPath,
        BodyKey = "params",
        TakesTags = true,
        ResultClass = S3StorageType.InventoryClassName,
        Description = "Add an S3 backup storage: <bucket>[/<prefix>] of an S3 store (SigV4); the bucket is created when missing",
        Params = [.. BackupStorageAdd.Params("<bucket>[/<prefix>]"), .. S3Rules.Params(add: true)],
        SerialKey = a => "s3-" + (a.String("endpoint") ?? string.Empty).ToLowerInvariant(),
        Handler = HandleAsync,
    };

    private static Task<ApiReply> HandleAsync(ApiContext ctx)
    {
        var a = ctx.Args;
        BackupStorageAdd.CheckType(a, Api.Name, S3StorageType.TypeName);
        var url = ObjectStoreRules.NormalizeUrl(a.RequiredString("url"), bucket: true);
        var secret = new StorageSecret(StorageSecretKind.Password, a.RequiredString("secretKey"));
        var row = new S3BackupStorageEntity { Uuid = string.Empty, Endpoint = string.Empty, AccessKey = string.Empty, CredentialCipher = string.Empty };
        S3Rules.Apply(a, row);
        row.CredentialCipher = ctx.Get<CredentialProtector>().Protect(secret);
        return BackupStorageAdd.RunAsync(ctx, new NewBackupStorage(
            S3StorageType.TypeName, url, $"s3 backup storage[name:{a.RequiredString("name")}, url:{url}, endpoint:{row.Endpoint}]", secret,
            async (db, uuid, now, ct) =>
            {
                await CheckNoOverlapAsync(db, row, url, null, ct);
                row.Uuid = uuid;
                row.LastOpDate = now;
                db.S3BackupStorages.Add(row);
            }));
    }

    /// <summary>Two backup storages of one store may not nest (the same bucket with overlapping prefixes).</summary>
    internal static async Task CheckNoOverlapAsync(StowageDbContext db, S3BackupStorageEntity row, string url, string? exceptUuid, CancellationToken ct)
    {
        var same = await (from s in db.S3BackupStorages
                          join b in db.BackupStorages on s.Uuid equals b.Uuid
                          where s.Endpoint == row.Endpoint && s.AccessKey == row.AccessKey
                          select new { b.Uuid, b.Url }).ToListAsync(ct);
        ObjectStoreRules.CheckNoOverlap(same.Select(s => (s.Uuid, s.Url)), url, exceptUuid);
    }
}
