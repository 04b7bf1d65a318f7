using Stowage.Core.Storage;

namespace Stowage.ObjectStore;

/// <summary>Signed read URLs and copies inside one store: the bytes never pass through Stowage.</summary>
public abstract partial class ObjectStoreDriver
{
    public async Task<Uri> CreateReadUrlAsync(BackupStorageTarget target, string installPath, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(lifetime, TimeSpan.Zero);
        var (client, location) = Open(target);
        return await client.SignedGetAsync(location.KeyOf(target, installPath), lifetime, cancellationToken);
    }

    public async Task RotateSigningKeyAsync(BackupStorageTarget target, bool revokeAll, CancellationToken cancellationToken)
    {
        var (client, _) = Open(target);
        await client.RotateSigningKeyAsync(revokeAll, cancellationToken);
    }

    public bool SameStore(BackupStorageTarget source, BackupStorageTarget destination)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(destination);
        return StoreIdentity(source) == StoreIdentity(destination)
            && ObjectStoreLocation.Parse(source).Container == ObjectStoreLocation.Parse(destination).Container;
    }

    public async Task<ImageFileFacts> CopyWithinStoreAsync(BackupStorageTarget target, StoredCopy source, string installPath, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!SameStore(source.Storage, target))
        {
            throw new StorageException(StorageFailure.BadLocation, $"backup storages {source.Storage.Uuid} and {target.Uuid} are not in the same store");
        }

        var (client, location) = Open(target);
        var (_, sourceLocation) = Open(source.Storage);
        var sourceKey = sourceLocation.KeyOf(source.Storage, source.InstallPath);
        var key = location.KeyOf(target, installPath);
        var head = await client.HeadAsync(sourceKey, cancellationToken)
            ?? throw new StorageException(StorageFailure.SourceFailed, $"{source.InstallPath} does not exist in container {location.Container}");
        if (source.Expect.Size is { } size && size != head.Size)
        {
            throw new StorageException(StorageFailure.SourceFailed, $"{source.InstallPath} has {head.Size} bytes, not the {size} recorded");
        }

        var md5 = source.Expect.Md5 ?? head.Metadata.GetValueOrDefault(MetaMd5);
        var sha256 = source.Expect.Sha256 ?? head.Metadata.GetValueOrDefault(MetaSha256);
        if (md5 is null || sha256 is null)
        {
            throw new StorageException(StorageFailure.SourceFailed, $"{source.InstallPath} has no recorded checksums to carry over");
        }

        // The header for format and virtual size: the first bytes of the source, read once.
        var header = new byte[Math.Min(ImageHeader.Needed, head.Size)];
        if (header.Length > 0)
        {
            await using var read = await client.OpenReadAsync(sourceKey, 0, cancellationToken);
            await read.ReadAtLeastAsync(header, header.Length, throwOnEndOfStream: false, cancellationToken);
        }

        var (format, virtualSize) = ImageHeader.Probe(header, head.Size);
        var facts = new ImageFileFacts(installPath, head.Size, virtualSize, format, md5, sha256);
        await client.CopyAsync(sourceKey, key, head.Size, Metadata(facts), cancellationToken);
        var copied = await client.HeadAsync(key, cancellationToken);
        if (copied?.Size != head.Size)
        {
            await client.DeleteAsync(key, CancellationToken.None);
            throw new StorageException(StorageFailure.CommandFailed, $"the copy of {source.InstallPath} has {copied?.Size} bytes, not {head.Size}");
        }

        return facts;
    }
}
