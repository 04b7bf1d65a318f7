namespace Stowage.Core.Storage;

/// <summary>
/// Signed read URLs: the store itself serves an image file to whoever holds the URL (Swift TempURL,
/// S3 presigned GET), with Range, until it expires, so exports and hypervisor downloads run at the store's
/// speed without Stowage in the path. A type that can do it implements this next to
/// <see cref="IBackupStorageDriver"/> and declares <see cref="StorageCapabilities.SignedReadUrls"/>.
/// </summary>
public interface ISignedUrlAccess
{
    /// <summary>A URL that reads <paramref name="installPath"/> (GET and HEAD, with Range) until <paramref name="lifetime"/> has passed.</summary>
    Task<Uri> CreateReadUrlAsync(BackupStorageTarget target, string installPath, TimeSpan lifetime, CancellationToken cancellationToken);

    /// <summary>
    /// Replaces the signing key. With <paramref name="revokeAll"/> every URL signed so far stops working at
    /// once; without it URLs signed with the previous key keep working until they expire (rotation).
    /// Throws <see cref="StorageException"/> with <see cref="StorageFailure.BadLocation"/> when the store
    /// signs with credentials Stowage does not own (S3: revocation means rotating the access key).
    /// </summary>
    Task RotateSigningKeyAsync(BackupStorageTarget target, bool revokeAll, CancellationToken cancellationToken);
}

/// <summary>
/// Copies inside one store without the bytes passing through Stowage (Swift <c>X-Copy-From</c>, S3
/// <c>CopyObject</c>/<c>UploadPartCopy</c>). Declared by <see cref="StorageCapabilities.ServerSideCopy"/>.
/// </summary>
public interface IServerSideCopy
{
    /// <summary>Whether <paramref name="source"/> and <paramref name="destination"/> are in the same store (same endpoint, account and container or bucket).</summary>
    bool SameStore(BackupStorageTarget source, BackupStorageTarget destination);

    /// <summary>
    /// Copies <paramref name="source"/> to <paramref name="installPath"/> of <paramref name="target"/> inside the store,
    /// reporting the bytes copied so far. The copy's size is checked against <c>source.Expect</c>, and its recorded
    /// digests are carried over only once the store proved the copied bytes are the ones they were computed over
    /// (each copied segment's md5, as the store computed it, against the md5 recorded when the source was written), or,
    /// where the store cannot tell, after Stowage read the source once. A source that no longer holds its bytes fails
    /// with <see cref="StorageFailure.SourceFailed"/>; a store that cannot prove a copy at all fails with
    /// <see cref="StorageFailure.SourceUnreachable"/> (stream it instead). A failure leaves no visible object.
    /// </summary>
    Task<ImageFileFacts> CopyWithinStoreAsync(
        BackupStorageTarget target, StoredCopy source, string installPath, IProgress<TransferProgress>? progress, CancellationToken cancellationToken);
}
