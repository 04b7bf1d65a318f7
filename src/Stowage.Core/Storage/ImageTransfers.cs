namespace Stowage.Core.Storage;

/// <summary>
/// What an image write should verify once the bytes are on the storage: the size announced by the source,
/// and checksums the caller expects (lowercase hex). A mismatch fails the write and leaves no file.
/// </summary>
public sealed record ImageExpectations(long? Size = null, string? Md5 = null, string? Sha256 = null);

/// <summary>
/// A pull of <see cref="Source"/> by the storage host itself into <see cref="InstallPath"/>. The source
/// may hold credentials: its <see cref="ToString"/> never shows them, and drivers must keep it off
/// command lines and process lists.
/// </summary>
public sealed record ImageDownload(Uri Source, string InstallPath, bool SkipTlsVerify, ImageExpectations Expect)
{
    /// <summary>Seconds without a received byte after which the host's download tool gives up (0: no limit).</summary>
    public long StallSeconds { get; init; }

    public override string ToString() => $"ImageDownload[{Source.Scheme}://{Source.Host}:{Source.Port}{Source.AbsolutePath} -> {InstallPath}]";
}

/// <summary>
/// A ready copy on a backup storage, as the source of a copy to another backup storage: images now, and
/// anything else kept as one verified file (volume snapshot backups). <see cref="Expect"/> holds the copy's
/// recorded size and digests, which the destination verifies before the file takes its place.
/// </summary>
public sealed record StoredCopy(BackupStorageTarget Storage, string InstallPath, ImageExpectations Expect)
{
    public override string ToString() => $"StoredCopy[{Storage.Uuid}:{InstallPath}]";
}

/// <summary>What is known about an image file once it is complete, read-only and in place.</summary>
public sealed record ImageFileFacts(string InstallPath, long ActualSize, long VirtualSize, string Format, string Md5, string Sha256);

/// <summary>
/// What one piece of a resumable upload left on the storage: <see cref="Size"/> bytes of the partial file, and
/// the facts once the last byte arrived and the file was verified and put in place.
/// </summary>
public sealed record UploadChunk(long Size, ImageFileFacts? Facts);

/// <summary>Bytes written so far by a running transfer (reported now and then, not for every block).</summary>
public sealed record TransferProgress(long BytesDone);

/// <summary>
/// The image data path of a storage type. Every write lands under a temporary name inside the image's
/// folder, is flushed, verified, hashed and renamed into place read-only; a failure or a cancellation
/// leaves no file and no process behind on the storage.
/// </summary>
public interface IImageStore
{
    /// <summary>
    /// The storage host fetches the url itself (no bytes through Stowage). Throws <see cref="StorageException"/>
    /// with <see cref="StorageFailure.SourceUnreachable"/> when the host lacks a download tool or cannot reach
    /// the source, so the caller may stream the bytes instead.
    /// </summary>
    Task<ImageFileFacts> DownloadFromUrlAsync(BackupStorageTarget target, ImageDownload download, IProgress<TransferProgress>? progress, CancellationToken cancellationToken);

    /// <summary>Writes <paramref name="source"/> to <paramref name="installPath"/> with bounded memory.</summary>
    Task<ImageFileFacts> WriteFromStreamAsync(BackupStorageTarget target, Stream source, string installPath, ImageExpectations expect, IProgress<TransferProgress>? progress, CancellationToken cancellationToken);

    /// <summary>
    /// The storage host copies <paramref name="hostPath"/>, a regular file on the host itself, outside the backup
    /// storage's own directory. A missing or unreadable file fails with <see cref="StorageFailure.SourceFailed"/>.
    /// </summary>
    Task<ImageFileFacts> CopyFromHostFileAsync(BackupStorageTarget target, string hostPath, string installPath, ImageExpectations expect, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        throw new StorageException(StorageFailure.SourceUnreachable, "this storage type cannot copy files on its host");

    /// <summary>
    /// The apparent size in bytes of <paramref name="hostPath"/>, a file on the storage host (a sparse file counts
    /// its full length, which a copy writes and hashes); null when this storage type cannot tell or the file is
    /// missing (the copy then reports that).
    /// </summary>
    Task<long?> GetHostFileSizeAsync(BackupStorageTarget target, string hostPath, CancellationToken cancellationToken) =>
        Task.FromResult<long?>(null);

    /// <summary>
    /// The storage host pulls <paramref name="source"/> from the source storage's host itself (no bytes through
    /// Stowage), logging in with <paramref name="readKey"/>, the source's read-only direct-fetch key (OpenSSH
    /// private key text; drivers keep it off command lines and remove it when done), and verifies
    /// <c>source.Expect</c>. Throws <see cref="StorageException"/> with <see cref="StorageFailure.SourceUnreachable"/>
    /// when the host cannot reach or log in to the source host before any byte arrived, so the caller may stream instead.
    /// </summary>
    Task<ImageFileFacts> CopyFromStorageHostAsync(BackupStorageTarget target, StoredCopy source, string readKey, string installPath, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        throw new StorageException(StorageFailure.SourceUnreachable, "this storage type cannot pull from another storage host");

    /// <summary>
    /// Writes <paramref name="source"/> at <paramref name="offset"/> of the partial upload file of <paramref name="installPath"/>
    /// (offset 0 starts over), which stays on the storage between calls. When the source ends early (the client
    /// went away) the bytes that arrived are kept. When the file reaches <paramref name="total"/> bytes it is
    /// verified against <paramref name="expect"/> and renamed into place read-only like any other write.
    /// </summary>
    Task<UploadChunk> WriteUploadChunkAsync(BackupStorageTarget target, Stream source, string installPath, long offset, long total, ImageExpectations expect, CancellationToken cancellationToken) =>
        throw new StorageException(StorageFailure.BadLocation, "this storage type does not take resumable uploads");

    /// <summary>Bytes in the partial upload file of <paramref name="installPath"/>; 0 when there is none.</summary>
    Task<long> GetUploadedSizeAsync(BackupStorageTarget target, string installPath, CancellationToken cancellationToken) =>
        Task.FromResult(0L);

    /// <summary>Removes the image folder holding <paramref name="installPath"/> (one image per folder); a missing one is fine.</summary>
    Task DeleteImageAsync(BackupStorageTarget target, string installPath, CancellationToken cancellationToken);

    /// <summary>
    /// Moves a finished image file to <paramref name="to"/> (another image folder of the same backup storage) and
    /// removes the folder it leaves empty. False when the type does not move files, which keeps the old path.
    /// </summary>
    Task<bool> MoveImageAsync(BackupStorageTarget target, string from, string to, CancellationToken cancellationToken) =>
        Task.FromResult(false);
}
