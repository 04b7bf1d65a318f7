using Stowage.Core.Storage;

namespace Stowage.ObjectStore;

/// <summary>
/// A backup storage url <c>&lt;container&gt;[/&lt;prefix&gt;]</c> split into the container (or bucket) and the key
/// prefix; install paths are the url followed by the manual's folder layout, so an object's key is its install
/// path without the container.
/// </summary>
internal sealed record ObjectStoreLocation(string Container, string Prefix)
{
    /// <summary>The identity marker's name, as on every type.</summary>
    public const string MarkerName = ".stowage-backup-storage";

    /// <summary>The image metadata file (the SFTP driver's bs_sftp_info.json content, one object).</summary>
    public const string MetadataName = "bs_image_info.json";

    public string MarkerKey => Key(MarkerName);

    public string MetadataKey => Key(MetadataName);

    /// <summary>A key below the prefix.</summary>
    public string Key(string relative) => Prefix.Length == 0 ? relative : Prefix + "/" + relative;

    public static ObjectStoreLocation Parse(BackupStorageTarget target)
    {
        var url = target.Url?.Trim('/') ?? string.Empty;
        var slash = url.IndexOf('/', StringComparison.Ordinal);
        var container = slash < 0 ? url : url[..slash];
        var prefix = slash < 0 ? string.Empty : url[(slash + 1)..];
        if (container.Length == 0 || container.Length > 255 || url.Contains('\0', StringComparison.Ordinal) || url.Contains("//", StringComparison.Ordinal)
            || prefix.Split('/').Any(p => p is "." or "..") || container is "." or "..")
        {
            throw new StorageException(StorageFailure.BadLocation, $"url {target.Url} of backup storage {target.Uuid} must be <container>[/<prefix>]");
        }

        return new ObjectStoreLocation(container, prefix);
    }

    /// <summary>The key of an install path (the url, then an image folder, then the file); anything else is refused.</summary>
    public string KeyOf(BackupStorageTarget target, string installPath)
    {
        var root = Prefix.Length == 0 ? Container + "/" : Container + "/" + Prefix + "/";
        var trimmed = installPath.TrimStart('/');
        if (!trimmed.StartsWith(root, StringComparison.Ordinal) || !IStorageHousekeeping.IsSafeImagePath(trimmed[root.Length..])
            || trimmed[root.Length..].Split('/').Length < 2)
        {
            throw new StorageException(StorageFailure.BadLocation, $"install path {installPath} is not inside backup storage {target.Url}");
        }

        return trimmed[Container.Length..].TrimStart('/');
    }

    /// <summary>A key made relative to the prefix (for listings), or null when it is outside it.</summary>
    public string? Relative(string key)
    {
        if (Prefix.Length == 0)
        {
            return key;
        }

        return key.StartsWith(Prefix + "/", StringComparison.Ordinal) ? key[(Prefix.Length + 1)..] : null;
    }
}
