using Microsoft.EntityFrameworkCore;
using Stowage.Core.Storage;
using Stowage.Server.Features.Verification;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Images;

/// <summary>
/// A copy between two backup storages of one object store (same type, endpoint, account and container or bucket):
/// the store copies the bytes (Swift <c>X-Copy-From</c> per segment, S3 <c>UploadPartCopy</c>), and the driver
/// carries the recorded digests over only once the store proved the copied bytes are those the digests were computed
/// over (see <see cref="IServerSideCopy"/>), so nothing unread is vouched for. Everything else is the copy pipeline's:
/// the destination's reservation, the status and progress (bytes counted under the <c>store-copy</c> path), cancel,
/// the owner of the destination runs it. When the driver finds the source changed, the source copy is verified
/// through the usual verification, which marks it Corrupted (with event and reason) when its bytes do not match.
/// </summary>
public sealed partial class BackupStorageCopies
{
    /// <summary>The data-path label of <c>stowage_transfer_bytes_total</c> for bytes the store copied itself.</summary>
    public const string StoreCopyPath = "store-copy";

    private async Task<ImageFileFacts> WithinStoreAsync(
        IServerSideCopy within, BackupStorageTarget target, CopyJob job, StoredCopy source, IProgress<TransferProgress> progress, CancellationToken ct)
    {
        transfers.Of(job.ImageUuid).FirstOrDefault(t => t.Bs == job.BsUuid).Entry?.CountInto(metrics, "in", StoreCopyPath);
        LogWithinStore(logger, job.ImageUuid, source.Storage.Uuid, job.BsUuid);
        try
        {
            return await within.CopyWithinStoreAsync(target, source, job.InstallPath, progress, ct);
        }
        catch (StorageException e) when (e.Failure == StorageFailure.SourceFailed && !ct.IsCancellationRequested)
        {
            var verdict = await VerifySourceAsync(job, source, ct);
            throw new StorageException(StorageFailure.SourceFailed,
                verdict is null ? e.Message : $"{e.Message}; the source copy was verified: {verdict.Outcome}{(verdict.Reason is null ? string.Empty : $" ({verdict.Reason})")}", e);
        }
    }

    /// <summary>Verifies the source copy (recording Corrupted when it is); null when its row is gone.</summary>
    private async Task<CopyVerdict?> VerifySourceAsync(CopyJob job, StoredCopy source, CancellationToken ct)
    {
        long? id;
        await using (var db = dbFactory.CreateDbContext())
        {
            id = job.Table == CopyTable.Image
                ? await db.ImageBackupStorageRefs.Where(r => r.ImageUuid == job.ImageUuid && r.BackupStorageUuid == source.Storage.Uuid).Select(r => (long?)r.Id).FirstOrDefaultAsync(ct)
                : await db.VolumeArchiveRefs.Where(r => r.ArchiveUuid == job.ImageUuid && r.BackupStorageUuid == source.Storage.Uuid).Select(r => (long?)r.Id).FirstOrDefaultAsync(ct);
        }

        if (id is not { } rowId)
        {
            return null;
        }

        var copy = new StoredCopyRef(new CopyRow(job.Table, rowId), job.ImageUuid, source.Storage.Uuid, source.InstallPath, job.Noun);
        return await services.GetRequiredService<CopyVerifier>().VerifyOnlyAsync(copy, job.JobUuid, ct);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "image {Image}: backup storages {Source} and {Destination} share an object store; the store copies it")]
    private static partial void LogWithinStore(ILogger logger, string image, string source, string destination);
}
