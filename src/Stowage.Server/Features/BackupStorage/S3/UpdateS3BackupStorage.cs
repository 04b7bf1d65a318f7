using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.BackupStorage.ObjectStore;
using Stowage.Server.Features.Common;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.BackupStorage.S3;

/// <summary>
/// Changes name/description and the connection of an S3 backup storage. Changed connection settings are tried
/// first on detached copies; only if that connect succeeds is anything saved.
/// </summary>
public static class UpdateS3BackupStorage
{
    public static ApiDescriptor Api { get; } = new()
    {
        Name = "UpdateS3BackupStorage",
        Method = "PUT",
        Path = S3StorageType.ApiPath + "/{uuid}/actions",
        BodyKey = "updateS3BackupStorage",
        ResultClass = S3StorageType.InventoryClassName,
        Description = "Change an S3 backup storage; connection changes are verified by a reconnect and nothing is saved if it fails",
        Params =
        [
            BackupStorageParams.BsUuid(),
            new("name") { MaxLength = 255, EmptyString = false, Description = "new name" },
            new("description") { MaxLength = 2048, Description = "new description" },
            .. S3Rules.Params(add: false),
        ],
        SerialKey = a => BackupStorageConnector.LockKey(a.String("uuid") ?? string.Empty),
        Handler = HandleAsync,
    };

    private static async Task<ApiReply> HandleAsync(ApiContext ctx)
    {
        var a = ctx.Args;
        var ct = ctx.CancellationToken;
        var uuid = a.RequiredString("uuid");
        using var held = await ctx.Get<KeyedLocks>().AcquireAsync(BackupStorageConnector.LockKey(uuid), ct);
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        var bs = await SimpleBackupStorageApis.FindAsync(db, uuid, ct);
        var s3 = await db.S3BackupStorages.FirstOrDefaultAsync(s => s.Uuid == uuid, ct)
            ?? throw ApiException.Argument($"backup storage[uuid:{uuid}] is not an S3 backup storage");
        if (S3Rules.ConnectionChanged(a))
        {
            var candidate = new S3BackupStorageEntity
            {
                Uuid = uuid, Endpoint = s3.Endpoint, AccessKey = s3.AccessKey, Region = s3.Region, PathStyle = s3.PathStyle,
                TotalCapacity = s3.TotalCapacity, CredentialCipher = s3.CredentialCipher, LastOpDate = s3.LastOpDate, Version = s3.Version,
            };
            S3Rules.Apply(a, candidate);
            await AddS3BackupStorage.CheckNoOverlapAsync(db, candidate, bs.Url, uuid, ct);
            var protector = ctx.Get<CredentialProtector>();
            var secret = a.String("secretKey") is { } password ? new StorageSecret(StorageSecretKind.Password, password) : protector.Unprotect(s3.CredentialCipher);
            var probe = await ObjectStoreRules.ProbeAsync(ctx, bs, new S3TypeRow(candidate), secret, ct);
            db.Entry(s3).CurrentValues.SetValues(candidate);
            s3.CredentialCipher = a.Has("secretKey") ? protector.Protect(secret) : s3.CredentialCipher;
            s3.LastOpDate = ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime;
            ObjectStoreRules.Adopt(ctx, db, bs, probe);
        }

        SimpleBackupStorageApis.ApplyNameAndDescription(a, bs, ctx.Get<TimeProvider>());
        await ResourceIndex.SaveAsync(db, ct);
        return (await BackupStorageInventory.LoadOneAsync(ctx, db, uuid)).Reply();
    }
}
