using Microsoft.EntityFrameworkCore;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.BackupStorage;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Images;

/// <summary>
/// When a backup storage goes, its image copies go with it: running downloads are cancelled, complete files
/// are removed from the host (best effort: the host may be why it is deleted), and images whose only copy
/// it held are removed.
/// </summary>
public sealed class ImageDeletionHook(TransferRegistry transfers, ImageRemoval removal) : IBackupStorageDeletionHook
{
    public Task CheckAsync(StowageDbContext db, BackupStorageEntity bs, CancellationToken cancellationToken) => Task.CompletedTask;

    public async Task DeleteAsync(StowageDbContext db, BackupStorageEntity bs, BackupStorageTarget? target, bool enforcing, CancellationToken cancellationToken)
    {
        await transfers.CancelAsync(k => k.Bs == bs.Uuid, TimeSpan.FromSeconds(60));
        var copies = await db.ImageBackupStorageRefs.AsNoTracking().Where(r => r.BackupStorageUuid == bs.Uuid).ToListAsync(cancellationToken);
        foreach (var copy in copies.Where(c => ImageStatus.HoldsFile(c.Status)))
        {
            await removal.DeleteBitsAsync(copy, target, cancellationToken);
        }

        await db.ImageBackupStorageRefs.Where(r => r.BackupStorageUuid == bs.Uuid).ExecuteDeleteAsync(CancellationToken.None);
        foreach (var image in copies.Select(c => c.ImageUuid).Distinct())
        {
            await removal.SettleAsync(db, image);
        }
    }
}
