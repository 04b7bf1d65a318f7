using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Features.Common;
using Stowage.Server.Features.GlobalConfigs;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Images;

/// <summary>
/// DeleteImage, from every backup storage or the given ones. A copy still downloading is cancelled at once
/// (the host process is killed and the partial file removed, a pending upload's partial file too) and dropped. Other copies follow
/// <c>image/deletionPolicy</c>: Direct removes the files now (or queues their removal when the host cannot); Delay and Never mark the copy Deleted.
/// </summary>
public static class DeleteImage
{
    public static ApiDescriptor Api { get; } = new()
    {
        Name = "DeleteImage",
        Method = "DELETE",
        Path = "/images/{uuid}",
        Description = "Delete an image (optionally only its copies on some backup storages); the deletion policy decides whether files go now",
        Params = [ImageRules.DeletedImageUuid(), ImageRules.BackupStorageUuids, CommonParams.DeleteMode],
        SerialKey = a => "image-" + a.String("uuid"),
        Handler = HandleAsync,
    };

    private static async Task<ApiReply> HandleAsync(ApiContext ctx)
    {
        var uuid = ctx.Args.RequiredString("uuid");
        var only = ctx.Args.List("backupStorageUuids");
        await ctx.Get<TransferRegistry>().CancelAsync(k => k.Image == uuid && (only is null || only.Contains(k.Bs)), TimeSpan.FromSeconds(60));

        var removal = ctx.Get<ImageRemoval>();
        var direct = ctx.Get<GlobalConfigStore>().Get(ImageConfigs.DeletionPolicy) == ImageConfigs.Direct;
        var now = ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime;
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        var copies = await db.ImageBackupStorageRefs.AsNoTracking()
            .Where(r => r.ImageUuid == uuid && (only == null || only.Contains(r.BackupStorageUuid))).ToListAsync(ctx.CancellationToken);
        foreach (var copy in copies)
        {
            if (copy.Status is ImageStatus.Downloading or ImageStatus.Error)
            {
                // Nothing complete was written: a cancelled or failed transfer removes its own partial file, but a
                // pending upload keeps its partial file between PUTs, so its folder goes here (after the row, so the
                // re-measure no longer counts the reservation).
                var upload = await db.ImageUploads.AnyAsync(u => u.RefId == copy.Id, ctx.CancellationToken);
                await db.ImageBackupStorageRefs.Where(r => r.Id == copy.Id).ExecuteDeleteAsync(ctx.CancellationToken);
                if (upload)
                {
                    await removal.DeleteBitsAsync(copy, null, ctx.CancellationToken);
                }
            }
            else if (direct || copy.Status == ImageStatus.Corrupted)
            {
                // A Corrupted copy goes at once whatever the policy: its bytes are bad, so there is nothing to recover.
                // The copy leaves at once, whether or not the host could remove its files now: a removal that failed
                // is queued (StorageGc) and retried until the files are gone, so no record claims a file that is gone
                // and no file stays without a record saying it is to be removed.
                await ctx.Get<StorageGc>().RemoveOrQueueAsync(ImageRules.ResourceType, copy.ImageUuid, copy.BackupStorageUuid, copy.InstallPath, null, ctx.CancellationToken);
                await db.ImageBackupStorageRefs.Where(r => r.Id == copy.Id).ExecuteDeleteAsync(CancellationToken.None);
            }
            else if (copy.Status != ImageStatus.Deleted)
            {
                await db.ImageBackupStorageRefs.Where(r => r.Id == copy.Id).ExecuteUpdateAsync(s => s
                    .SetProperty(r => r.Status, ImageStatus.Deleted).SetProperty(r => r.LastOpDate, now).SetProperty(r => r.Version, r => r.Version + 1), ctx.CancellationToken);
            }
        }

        // Exports of a deleted copy are revoked for good: RecoverImage does not bring its URLs back.
        var deleted = copies.Select(c => c.Id).ToList();
        await db.ImageExports.Where(x => deleted.Contains(x.RefId)).ExecuteDeleteAsync(CancellationToken.None);
        await removal.SettleAsync(db, uuid);
        await ctx.Get<ImageMetadataFile>().RefreshAsync(copies.Select(c => c.BackupStorageUuid), CancellationToken.None);
        return ApiReply.Empty();
    }
}
