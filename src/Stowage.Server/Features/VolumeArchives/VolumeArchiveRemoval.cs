using Microsoft.EntityFrameworkCore;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.Common;
using Stowage.Server.Features.Images;

namespace Stowage.Server.Features.VolumeArchives;

/// <summary>Removing copies of volume snapshots and backups: files through <see cref="ImageRemoval"/>, rows here, the item once no copy is left.</summary>
public sealed class VolumeArchiveRemoval(StowageDbContextFactory dbFactory, ImageRemoval images)
{
    /// <summary>Deletes the copy's folder and re-measures; false (logged) when the host refused or was unreachable.</summary>
    public Task<bool> DeleteBitsAsync(VolumeArchiveRefEntity copy, BackupStorageTarget? target, CancellationToken ct) =>
        images.DeleteBitsAsync("volume archive " + copy.ArchiveUuid, copy.BackupStorageUuid, copy.InstallPath, target, ct);

    /// <summary>Removes the item, its copies' rows and its tags (the index row cascades).</summary>
    public async Task RemoveRowAsync(string uuid)
    {
        await using var db = dbFactory.CreateDbContext();
        await RemoveRowAsync(db, uuid);
    }

    /// <summary>The item goes when its last copy went.</summary>
    public static async Task SettleAsync(StowageDbContext db, string uuid)
    {
        if (!await db.VolumeArchiveRefs.AnyAsync(r => r.ArchiveUuid == uuid, CancellationToken.None))
        {
            await RemoveRowAsync(db, uuid);
        }
    }

    /// <summary>
    /// The failure path of an add job, whatever ended it: copies still Downloading become Error, and an item
    /// with no Ready copy goes, so nothing stays in a transitional status without a job behind it.
    /// </summary>
    public async Task SettleFailedAsync(string uuid, string reason, DateTime now)
    {
        await using var db = dbFactory.CreateDbContext();
        await db.VolumeArchiveRefs.Where(r => r.ArchiveUuid == uuid && r.Status == ImageStatus.Downloading).ExecuteUpdateAsync(s => s
            .SetProperty(r => r.Status, ImageStatus.Error).SetProperty(r => r.LastError, reason).SetProperty(r => r.LastOpDate, now)
            .SetProperty(r => r.Version, r => r.Version + 1), CancellationToken.None);
        if (!await db.VolumeArchiveRefs.AnyAsync(r => r.ArchiveUuid == uuid && r.Status == ImageStatus.Ready, CancellationToken.None))
        {
            await RemoveRowAsync(db, uuid);
            return;
        }

        await db.VolumeArchives.Where(a => a.Uuid == uuid && a.Status == ImageStatus.Downloading).ExecuteUpdateAsync(s => s
            .SetProperty(a => a.Status, ImageStatus.Ready).SetProperty(a => a.LastOpDate, now).SetProperty(a => a.Version, a => a.Version + 1), CancellationToken.None);
    }

    private static async Task RemoveRowAsync(StowageDbContext db, string uuid)
    {
        await db.VolumeArchiveRefs.Where(r => r.ArchiveUuid == uuid).ExecuteDeleteAsync(CancellationToken.None);
        await db.VolumeArchives.Where(a => a.Uuid == uuid).ExecuteDeleteAsync(CancellationToken.None);
        await ResourceIndex.RemoveAsync(db, uuid, CancellationToken.None);
    }
}
