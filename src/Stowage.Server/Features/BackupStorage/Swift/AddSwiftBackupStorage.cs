using Microsoft.EntityFrameworkCore;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.BackupStorage.ObjectStore;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.BackupStorage.Swift;

/// <summary>AddSwiftBackupStorage: a container (and key prefix) of a Swift account; Swift's parameters, then the shared add procedure.</summary>
public static class AddSwiftBackupStorage
{
    public static ApiDescriptor Api { get; } = new()
    {
        Name = "AddSwiftBackupStorage",
        Method = "POST",
        Path = SwiftStorageType.ApiPath,
        BodyKey = "params",
        TakesTags = true,
        ResultClass = SwiftStorageType.InventoryClassName,
        Description = "Add a Swift backup storage: <container>[/<prefix>] of an OpenStack Swift account (auth v1 or Keystone v3); the container is created when missing",
        Params = [.. BackupStorageAdd.Params("<container>[/<prefix>]"), .. SwiftRules.Params(add: true)],
        SerialKey = a => "swift-" + (a.String("authUrl") ?? string.Empty).ToLowerInvariant(),
        Handler = HandleAsync,
    };

    private static Task<ApiReply> HandleAsync(ApiContext ctx)
    {
        var a = ctx.Args;
        BackupStorageAdd.CheckType(a, Api.Name, SwiftStorageType.TypeName);
        var url = ObjectStoreRules.NormalizeUrl(a.RequiredString("url"), bucket: false);
        var secret = new StorageSecret(StorageSecretKind.Password, a.RequiredString("password"));
        var row = new SwiftBackupStorageEntity { Uuid = string.Empty, AuthUrl = string.Empty, Username = string.Empty, CredentialCipher = string.Empty };
        SwiftRules.Apply(a, row);
        row.CredentialCipher = ctx.Get<CredentialProtector>().Protect(secret);
        return BackupStorageAdd.RunAsync(ctx, new NewBackupStorage(
            SwiftStorageType.TypeName, url, $"swift backup storage[name:{a.RequiredString("name")}, url:{url}, authUrl:{row.AuthUrl}]", secret,
            async (db, uuid, now, ct) =>
            {
                await CheckNoOverlapAsync(db, row, url, null, ct);
                row.Uuid = uuid;
                row.LastOpDate = now;
                db.SwiftBackupStorages.Add(row);
            }));
    }

    /// <summary>Two backup storages of one account may not nest (the same container with overlapping prefixes).</summary>
    internal static async Task CheckNoOverlapAsync(StowageDbContext db, SwiftBackupStorageEntity row, string url, string? exceptUuid, CancellationToken ct)
    {
        var same = await (from s in db.SwiftBackupStorages
                          join b in db.BackupStorages on s.Uuid equals b.Uuid
                          where s.AuthUrl == row.AuthUrl && s.Username == row.Username && s.ProjectName == row.ProjectName
                          select new { b.Uuid, b.Url }).ToListAsync(ct);
        ObjectStoreRules.CheckNoOverlap(same.Select(s => (s.Uuid, s.Url)), url, exceptUuid);
    }
}
