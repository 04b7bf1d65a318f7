using Stowage.Core.Storage;

namespace Stowage.ObjectStore;

/// <summary>
/// Verification of a stored copy: the object is read back (a segmented one through its manifest, as a download
/// would get it) and both digests computed in process; a missing object is reported as such.
/// </summary>
public abstract partial class ObjectStoreDriver
{
    public async Task<StoredFileCheck> VerifyStoredFileAsync(
        BackupStorageTarget target, string installPath, Func<long> bytesPerSecond, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var (client, location) = Open(target);
        var key = location.KeyOf(target, installPath);
        if (await client.HeadAsync(key, cancellationToken) is null)
        {
            return StoredFileCheck.NotThere;
        }

        await using var stream = await client.OpenReadAsync(key, 0, cancellationToken);
        return await StreamDigests.ComputeAsync(stream, bytesPerSecond, progress, cancellationToken);
    }
}
