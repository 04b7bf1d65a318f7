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
    public override string ToString() => $"ImageDownload[{Source.Scheme}://{Source.Host}:{Source.Port}{Source.AbsolutePath} -> {InstallPath}]";
}

/// <summary>What is known about an image file once it is complete, read-only and in place.</summary>
public sealed record ImageFileFacts(string InstallPath, long ActualSize, long VirtualSize, string Format, string Md5, string Sha256);

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

    /// <summary>Removes the image folder holding <paramref name="installPath"/> (one image per folder); a missing one is fine.</summary>
    Task DeleteImageAsync(BackupStorageTarget target, string installPath, CancellationToken cancellationToken);
}
