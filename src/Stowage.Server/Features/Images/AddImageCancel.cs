using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Images;

/// <summary>
/// What a cancelled AddImage leaves behind: nothing. No image row, and no file on any backup storage, not
/// even from copies that completed before the cancel arrived (the user asked for no image). A failed one leaves
/// final states only.
/// </summary>
public static class AddImageCancel
{
    /// <summary>
    /// The failure path of an AddImage job, whatever ended it (an unexpected exception included): copies still
    /// Downloading become Error, and an image with no Ready copy goes, so nothing stays in a transitional status
    /// without a job behind it. Idempotent: an image the normal paths already settled is left as it is.
    /// </summary>
    public static async Task SettleFailedAsync(ApiContext ctx, string imageUuid, string reason)
    {
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        var now = ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime;
        await db.ImageBackupStorageRefs.Where(r => r.ImageUuid == imageUuid && r.Status == ImageStatus.Downloading)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, ImageStatus.Error).SetProperty(r => r.LastError, reason).SetProperty(r => r.LastOpDate, now).SetProperty(r => r.Version, r => r.Version + 1), CancellationToken.None);
        if (!await db.ImageBackupStorageRefs.AnyAsync(r => r.ImageUuid == imageUuid && r.Status == ImageStatus.Ready, CancellationToken.None))
        {
            await ImageRemoval.RemoveImageRowAsync(db, imageUuid);
            return;
        }

        await db.Images.Where(i => i.Uuid == imageUuid && i.Status == ImageStatus.Downloading).ExecuteUpdateAsync(s => s
            .SetProperty(i => i.Status, ImageStatus.Ready).SetProperty(i => i.LastOpDate, now).SetProperty(i => i.Version, i => i.Version + 1), CancellationToken.None);
    }

    /// <summary>When the user cancelled the job, removes the finished copies' files and the image, then fails.</summary>
    public static async Task ThrowIfCancelledByUserAsync(ApiContext ctx, string imageUuid, IReadOnlyList<ImageBackupStorageRefEntity> refs, IReadOnlyList<CopyResult> results)
    {
        if (!results.Any(r => r.CancelledByUser))
        {
            return;
        }

        var removal = ctx.Get<ImageRemoval>();
        var complete = results.Where(r => r.Facts is not null).Select(r => r.BsUuid).ToHashSet(StringComparer.Ordinal);
        foreach (var copy in refs.Where(r => complete.Contains(r.BackupStorageUuid)))
        {
            // The job's token is cancelled by now; the clean-up must still run to the end.
            await removal.DeleteBitsAsync(copy, null, CancellationToken.None);
        }

        await using (var db = ctx.Get<StowageDbContextFactory>().CreateDbContext())
        {
            await ImageRemoval.RemoveImageRowAsync(db, imageUuid);
        }

        throw new ApiException(Errors.Operr($"the download of image[uuid:{imageUuid}] was cancelled by the user; the image and its files were removed"));
    }
}
