using Stowage.Core.Errors;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Images;

/// <summary>
/// What a cancelled AddImage leaves behind: nothing. No image row, and no file on any backup storage, not
/// even from copies that completed before the cancel arrived (the user asked for no image).
/// </summary>
public static class AddImageCancel
{
    /// <summary>Awaits a step that runs before any copy started; if the job is cancelled there, the registered image goes.</summary>
    public static async Task<T> GuardAsync<T>(ApiContext ctx, string imageUuid, Task<T> step)
    {
        try
        {
            return await step;
        }
        catch (OperationCanceledException)
        {
            await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
            await ImageRemoval.RemoveImageRowAsync(db, imageUuid);
            throw;
        }
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
