using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.Common;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.BackupStorage;

/// <summary>
/// What else goes when a backup storage goes (its image copies, its volume-snapshot copies, ...).
/// Permissive runs every <see cref="CheckAsync"/> first and stops on a refusal; Enforcing goes on.
/// </summary>
public interface IBackupStorageDeletionHook
{
    Task CheckAsync(StowageDbContext db, BackupStorageEntity bs, CancellationToken cancellationToken);

    Task DeleteAsync(StowageDbContext db, BackupStorageEntity bs, BackupStorageTarget? target, bool enforcing, CancellationToken cancellationToken);
}

public static partial class DeleteBackupStorage
{
    public static ApiDescriptor Api { get; } = new()
    {
        Name = "DeleteBackupStorage",
        Method = "DELETE",
        Path = "/backup-storage/{uuid}",
        Description = "Delete a backup storage: detaches its zones, removes its copies (and items whose only copy it held); deleting one that does not exist succeeds",
        Params = [BackupStorageParams.BsUuidLoose, CommonParams.DeleteMode],
        SerialKey = a => BackupStorageConnector.LockKey(a.String("uuid") ?? string.Empty),
        Handler = HandleAsync,
    };

    private static async Task<ApiReply> HandleAsync(ApiContext ctx)
    {
        var ct = ctx.CancellationToken;
        var uuid = ctx.Args.RequiredString("uuid");
        var enforcing = ctx.Args.String("deleteMode") == "Enforcing";
        var connector = ctx.Get<BackupStorageConnector>();
        var logger = ctx.Get<ILogger<BackupStorageConnector>>();
        using var held = await ctx.Get<KeyedLocks>().AcquireAsync(BackupStorageConnector.LockKey(uuid), ct);
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        var bs = await db.BackupStorages.FirstOrDefaultAsync(b => b.Uuid == uuid, ct);
        if (bs is null)
        {
            return ApiReply.Empty();
        }

        var target = await connector.LoadTargetAsync(db, bs, ct);
        var hooks = ctx.Services.GetServices<IBackupStorageDeletionHook>().ToList();
        foreach (var hook in hooks)
        {
            try
            {
                await hook.CheckAsync(db, bs, ct);
            }
            catch (ApiException e) when (!enforcing)
            {
                throw new ApiException(Errors.Of(Errors.DeleteResource, $"cannot delete backup storage[uuid:{uuid}]", e.Error));
            }
            catch (ApiException e)
            {
                LogCheckIgnored(logger, uuid, e.Message);
            }
        }

        foreach (var hook in hooks)
        {
            try
            {
                await hook.DeleteAsync(db, bs, target, enforcing, ct);
            }
            catch (ApiException e) when (enforcing)
            {
                LogCheckIgnored(logger, uuid, e.Message);
            }
        }

        // The image metadata file must not list what went with the backup storage (an import of the directory would bring it back).
        await ctx.Get<Images.ImageMetadataFile>().RefreshAsync([uuid], CancellationToken.None);
        var driver = connector.Drivers.Get(bs.Type);
        try
        {
            await driver.RemoveMarkerAsync(target, ct);
        }
        catch (StorageException e)
        {
            // The host may be the reason for the delete; the marker of a deleted backup storage is adopted by the next add.
            LogMarkerLeft(logger, uuid, e.Message);
        }

        driver.Forget(uuid);
        ctx.Get<PingStats>().History.Forget(uuid);
        await ResourceIndex.RemoveAsync(db, uuid, ct);
        return ApiReply.Empty();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "deleting backup storage {Uuid}: a dependent refused and Enforcing mode went on: {Reason}")]
    private static partial void LogCheckIgnored(ILogger logger, string uuid, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "deleted backup storage {Uuid} but could not remove its identity marker on the host: {Reason}")]
    private static partial void LogMarkerLeft(ILogger logger, string uuid, string reason);
}
