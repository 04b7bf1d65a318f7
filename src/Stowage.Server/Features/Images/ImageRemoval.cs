using Microsoft.EntityFrameworkCore;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.Common;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Images;

/// <summary>Removing image copies: their files on the host, their rows, and the image once no copy is left.</summary>
public sealed partial class ImageRemoval(
    StowageDbContextFactory dbFactory,
    BackupStorageConnector connector,
    BackupStorageCapacity capacity,
    StorageGc gc,
    TimeProvider clock,
    ILogger<ImageRemoval> logger)
{
    /// <summary>Deletes the copy's folder on its backup storage and re-measures; false (logged) when the host refused or was unreachable.</summary>
    public Task<bool> DeleteBitsAsync(ImageBackupStorageRefEntity copy, BackupStorageTarget? knownTarget, CancellationToken ct) =>
        DeleteBitsAsync("image " + copy.ImageUuid, copy.BackupStorageUuid, copy.InstallPath, knownTarget, ct);

    /// <summary>The same for any copy (image, volume snapshot or backup): <paramref name="owner"/> only names it in the log.</summary>
    public async Task<bool> DeleteBitsAsync(string owner, string bsUuid, string installPath, BackupStorageTarget? knownTarget, CancellationToken ct)
    {
        await using var db = dbFactory.CreateDbContext();
        var bs = await db.BackupStorages.AsNoTracking().FirstOrDefaultAsync(b => b.Uuid == bsUuid, ct);
        if (bs is null || installPath.Length == 0)
        {
            return true;
        }

        var target = knownTarget ?? await connector.LoadTargetAsync(db, bs, ct);
        var driver = connector.Drivers.Get(bs.Type);
        try
        {
            await driver.DeleteImageAsync(target, installPath, ct);
            await capacity.RefreshAsync(driver, target, ct);
            return true;
        }
        catch (StorageException e)
        {
            LogBitsLeft(logger, owner, bsUuid, e.Message);
            return false;
        }
    }

    /// <summary>Deletes the copy's files (or queues their removal when the host cannot) and its row, then settles the image.</summary>
    public async Task ExpungeAsync(ImageBackupStorageRefEntity copy, CancellationToken ct)
    {
        await gc.RemoveOrQueueAsync(ImageRules.ResourceType, copy.ImageUuid, copy.BackupStorageUuid, copy.InstallPath, null, ct);
        await using var db = dbFactory.CreateDbContext();
        await db.ImageBackupStorageRefs.Where(r => r.Id == copy.Id).ExecuteDeleteAsync(CancellationToken.None);
        await SettleAsync(db, copy.ImageUuid);
    }

    /// <summary>No copy left: the image goes. Only deleted copies left: the image is Deleted.</summary>
    public async Task SettleAsync(StowageDbContext db, string imageUuid)
    {
        var statuses = await db.ImageBackupStorageRefs.Where(r => r.ImageUuid == imageUuid).Select(r => r.Status).ToListAsync(CancellationToken.None);
        if (statuses.Count == 0)
        {
            await RemoveImageRowAsync(db, imageUuid);
        }
        else if (statuses.All(s => s == ImageStatus.Deleted))
        {
            var now = clock.GetUtcNow().UtcDateTime;
            await db.Images.Where(i => i.Uuid == imageUuid).ExecuteUpdateAsync(s => s
                .SetProperty(i => i.Status, ImageStatus.Deleted).SetProperty(i => i.LastOpDate, now).SetProperty(i => i.Version, i => i.Version + 1), CancellationToken.None);
        }
    }

    /// <summary>Removes the image, its copies' rows and its tags (the index row cascades).</summary>
    public static async Task RemoveImageRowAsync(StowageDbContext db, string imageUuid)
    {
        await db.ImageBackupStorageRefs.Where(r => r.ImageUuid == imageUuid).ExecuteDeleteAsync(CancellationToken.None);
        await db.Images.Where(i => i.Uuid == imageUuid).ExecuteDeleteAsync(CancellationToken.None);
        await ResourceIndex.RemoveAsync(db, imageUuid, CancellationToken.None);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not delete the files of {Item} on backup storage {Bs} (they stay on the host): {Reason}")]
    private static partial void LogBitsLeft(ILogger logger, string item, string bs, string reason);
}
