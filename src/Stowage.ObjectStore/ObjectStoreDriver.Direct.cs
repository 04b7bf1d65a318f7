using Stowage.Core.Storage;

namespace Stowage.ObjectStore;

/// <summary>Signed read URLs and which backup storages share a store: the bytes never pass through Stowage.</summary>
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
}
