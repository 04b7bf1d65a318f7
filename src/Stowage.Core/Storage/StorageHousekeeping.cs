namespace Stowage.Core.Storage;

/// <summary>A file under a backup storage's image folders, its path relative to the storage url.</summary>
public sealed record StoredFile(string RelativePath, long Size, DateTime ModifiedUtc);

/// <summary>
/// What the sweeper, the trash and the image metadata file need from a storage type, beside the data
/// path: list what is stored, remove a path, read and replace the metadata file. Optional: a type without
/// it is simply not swept. Paths are confined to the storage url; anything else is refused.
/// </summary>
public interface IStorageHousekeeping
{
    /// <summary>Suffix of a file being written (the SFTP driver's ImageCommands.PartSuffix); the sweeper removes those no transfer owns.</summary>
    const string TempSuffix = ".stowage-part";

    /// <summary>The image folders whose files are listed (relative to the url).</summary>
    static IReadOnlyList<string> ImageRoots { get; } = ["rootVolumeTemplates", "dataVolumeTemplates", "iso", "volumeSnapshots", "volumes"];

    /// <summary>Every regular file under the image folders, with size and modification time.</summary>
    Task<IReadOnlyList<StoredFile>> ListImageFilesAsync(BackupStorageTarget target, CancellationToken cancellationToken);

    /// <summary>
    /// Removes a file or folder given relative to the url (it must lie inside an image folder), then the
    /// folders left empty above it up to the image folder. A missing path is fine.
    /// </summary>
    Task DeletePathAsync(BackupStorageTarget target, string relativePath, CancellationToken cancellationToken);

    /// <summary>The image metadata file's content, or null when there is none.</summary>
    Task<string?> ReadMetadataAsync(BackupStorageTarget target, CancellationToken cancellationToken);

    /// <summary>Replaces the image metadata file atomically (temporary file, then rename).</summary>
    Task WriteMetadataAsync(BackupStorageTarget target, string content, CancellationToken cancellationToken);

    /// <summary>
    /// Checks a path relative to the url: no empty, <c>.</c> or <c>..</c> segment, no NUL, inside one of
    /// <see cref="ImageRoots"/> and not the root folder itself. The one place such paths are judged.
    /// </summary>
    static bool IsSafeImagePath(string relativePath)
    {
        if (string.IsNullOrEmpty(relativePath) || relativePath[0] == '/' || relativePath.Contains('\0', StringComparison.Ordinal))
        {
            return false;
        }

        var parts = relativePath.Split('/');
        return parts.Length >= 2 && ImageRoots.Contains(parts[0]) && parts.All(p => p.Length > 0 && p is not "." and not "..");
    }
}
