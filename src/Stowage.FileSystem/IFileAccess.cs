using Stowage.Core.Storage;

namespace Stowage.FileSystem;

/// <summary>
/// A directory entry as a file-access layer sees it. <see cref="IFileAccess.StatAsync"/> follows symbolic links
/// (the url may be one); <see cref="IFileAccess.ListAsync"/> describes each entry itself (lstat, READDIRPLUS):
/// a symbolic link there has <see cref="IsSymbolicLink"/> set and is neither a directory nor a file to walk into.
/// </summary>
public sealed record FileEntry(string Name, bool IsDirectory, long Size, DateTime ModifiedUtc)
{
    /// <summary>The entry is a symbolic link (only set by ListAsync); walkers skip it, so nothing outside the tree is listed or deleted through one.</summary>
    public bool IsSymbolicLink { get; init; }
}

/// <summary>How <see cref="IFileAccess.OpenWriteAsync"/> opens a file.</summary>
public enum FileWriteMode
{
    /// <summary>Create or truncate to zero.</summary>
    Truncate,

    /// <summary>Open an existing file (creating it when missing) and write from its current end.</summary>
    Append,
}

/// <summary>
/// The few file operations the filesystem storage family needs, over one backup storage's tree. The
/// FileSystem type implements them on a directory the server sees (System.IO); the NFS type implements
/// them over libnfs, speaking NFSv3 to the server directly. Everything above (layout, part files,
/// digests while writing, verification, rename into place, marker, metadata file, sweeping) is shared
/// driver code (FileStoreDriver) and does not know which one it talks to.
/// Paths are absolute: local paths for FileSystem, paths inside the export for NFS; callers have
/// already confined them to the backup storage's url.
/// Failures are <see cref="StorageException"/>s with a kind that says whether a retry may help:
/// a missing path where one is needed is <see cref="StorageFailure.BadLocation"/>, a server that does
/// not answer is <see cref="StorageFailure.Unreachable"/> or <see cref="StorageFailure.Timeout"/>, no space
/// is <see cref="StorageFailure.NoSpace"/>.
/// </summary>
public interface IFileAccess : IAsyncDisposable
{
    /// <summary>Total and available bytes of the filesystem holding <paramref name="path"/> (statvfs: f_blocks and f_bavail times f_frsize).</summary>
    Task<StorageCapacity> StatFsAsync(string path, CancellationToken cancellationToken);

    /// <summary>The entry at <paramref name="path"/>, or null when nothing is there.</summary>
    Task<FileEntry?> StatAsync(string path, CancellationToken cancellationToken);

    /// <summary>Creates the directory and its missing parents; an existing directory is fine, an existing file is BadLocation.</summary>
    Task CreateDirectoryAsync(string path, CancellationToken cancellationToken);

    /// <summary>The entries of a directory (not "." and ".."); a missing directory gives an empty list.</summary>
    Task<IReadOnlyList<FileEntry>> ListAsync(string path, CancellationToken cancellationToken);

    /// <summary>
    /// Opens a file for reading from <paramref name="offset"/>. The stream's Length is the file's size; reading
    /// holds bounded memory; disposing releases whatever the stream holds (a pooled connection for NFS).
    /// </summary>
    Task<Stream> OpenReadAsync(string path, long offset, CancellationToken cancellationToken);

    /// <summary>
    /// Opens a file for writing. <see cref="Stream.FlushAsync(CancellationToken)"/> makes the bytes durable
    /// (fsync / NFS COMMIT); disposing closes without that guarantee.
    /// </summary>
    Task<Stream> OpenWriteAsync(string path, FileWriteMode mode, CancellationToken cancellationToken);

    /// <summary>Renames within one filesystem, replacing an existing file at <paramref name="to"/>.</summary>
    Task RenameAsync(string from, string to, CancellationToken cancellationToken);

    /// <summary>Removes a file; a missing one is fine.</summary>
    Task DeleteFileAsync(string path, CancellationToken cancellationToken);

    /// <summary>Removes an empty directory; a missing one is fine, a non-empty one throws.</summary>
    Task DeleteDirectoryAsync(string path, CancellationToken cancellationToken);

    /// <summary>Sets permission bits (e.g. 0444 on a finished image).</summary>
    Task ChmodAsync(string path, int mode, CancellationToken cancellationToken);
}
