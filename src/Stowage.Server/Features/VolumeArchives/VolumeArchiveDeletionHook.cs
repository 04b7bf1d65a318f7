using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.BackupStorage;
using Stowage.Server.Features.Images;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.VolumeArchives;

/// <summary>
/// When a backup storage goes, its volume snapshot and backup copies go: running writes are cancelled, the
/// files of complete copies are removed, and items whose only copy it held are removed. Unlike images (whose
/// files ZStack leaves behind anyway), these files are the backup itself, so the check refuses in Permissive
/// mode when a complete copy's files cannot be removed because the backup storage is not Connected; Enforcing
/// goes on and leaves them on the host.
/// </summary>
public sealed class VolumeArchiveDeletionHook(TransferRegistry transfers, VolumeArchiveRemoval removal) : IBackupStorageDeletionHook
{
    public async Task CheckAsync(StowageDbContext db, BackupStorageEntity bs, CancellationToken cancellationToken)
    {
        if (bs.Status == BackupStorageStatus.Connected)
        {
            return;
        }

        var held = await db.VolumeArchiveRefs.CountAsync(r => r.BackupStorageUuid == bs.Uuid && (r.Status == ImageStatus.Ready || r.Status == ImageStatus.Corrupted), cancellationToken);
        if (held > 0)
        {
            throw ApiException.Operation($"backup storage[uuid:{bs.Uuid}] is {bs.Status}: the files of {held} volume snapshot/backup copies on it cannot be removed; " +
                "reconnect it, or delete with deleteMode=Enforcing to leave the files on the host");
        }
    }

    public async Task DeleteAsync(StowageDbContext db, BackupStorageEntity bs, BackupStorageTarget? target, bool enforcing, CancellationToken cancellationToken)
    {
        var copies = await db.VolumeArchiveRefs.AsNoTracking().Where(r => r.BackupStorageUuid == bs.Uuid).ToListAsync(cancellationToken);
        await transfers.CancelAsync(k => k.Bs == bs.Uuid && copies.Any(c => c.ArchiveUuid == k.Image), TimeSpan.FromSeconds(60));
        var left = await DeleteVolumeArchive.RemoveCopiesAsync(db, removal, copies, enforcing, cancellationToken);
        foreach (var uuid in copies.Select(c => c.ArchiveUuid).Distinct())
        {
            await VolumeArchiveRemoval.SettleAsync(db, uuid);
        }

        if (left.Count > 0)
        {
            throw ApiException.Operation($"the files of {left.Count} volume snapshot/backup copies on backup storage[uuid:{bs.Uuid}] could not be removed");
        }
    }
}
