using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.BackupStorage.ObjectStore;
using Stowage.Server.Features.Common;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.BackupStorage.Swift;

/// <summary>
/// Changes name/description and the connection of a Swift backup storage. Changed connection settings are tried
/// first on detached copies; only if that connect succeeds is anything saved.
/// </summary>
public static class UpdateSwiftBackupStorage
{
    public static ApiDescriptor Api { get; } = new()
    {
        Name = "UpdateSwiftBackupStorage",
        Method = "PUT",
        Path = SwiftStorageType.ApiPath + "/{uuid}/actions",
        BodyKey = "updateSwiftBackupStorage",
        ResultClass = SwiftStorageType.InventoryClassName,
        Description = "Change a Swift backup storage; connection changes are verified by a reconnect and nothing is saved if it fails",
        Params =
        [
            BackupStorageParams.BsUuid(),
            new("name") { MaxLength = 255, EmptyString = false, Description = "new name" },
            new("description") { MaxLength = 2048, Description = "new description" },
            .. SwiftRules.Params(add: false),
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
        var swift = await db.SwiftBackupStorages.FirstOrDefaultAsync(s => s.Uuid == uuid, ct)
            ?? throw ApiException.Argument($"backup storage[uuid:{uuid}] is not a Swift backup storage");
        if (SwiftRules.ConnectionChanged(a))
        {
            var candidate = new SwiftBackupStorageEntity
            {
                Uuid = uuid, AuthUrl = swift.AuthUrl, AuthVersion = swift.AuthVersion, Username = swift.Username, ProjectName = swift.ProjectName,
                ProjectDomainName = swift.ProjectDomainName, UserDomainName = swift.UserDomainName, Region = swift.Region,
                TotalCapacity = swift.TotalCapacity, CredentialCipher = swift.CredentialCipher, LastOpDate = swift.LastOpDate, Version = swift.Version,
            };
            SwiftRules.Apply(a, candidate);
            await AddSwiftBackupStorage.CheckNoOverlapAsync(db, candidate, bs.Url, uuid, ct);
            var protector = ctx.Get<CredentialProtector>();
            var secret = a.String("password") is { } password ? new StorageSecret(StorageSecretKind.Password, password) : protector.Unprotect(swift.CredentialCipher);
            var probe = await ObjectStoreRules.ProbeAsync(ctx, bs, new SwiftTypeRow(candidate), secret, ct);
            db.Entry(swift).CurrentValues.SetValues(candidate);
            swift.CredentialCipher = a.Has("password") ? protector.Protect(secret) : swift.CredentialCipher;
            swift.LastOpDate = ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime;
            ObjectStoreRules.Adopt(ctx, db, bs, probe);
        }

        SimpleBackupStorageApis.ApplyNameAndDescription(a, bs, ctx.Get<TimeProvider>());
        await ResourceIndex.SaveAsync(db, ct);
        return (await BackupStorageInventory.LoadOneAsync(ctx, db, uuid)).Reply();
    }
}
