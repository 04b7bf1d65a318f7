using Stowage.Core.Storage;

namespace Stowage.ObjectStore;

/// <summary>
/// Verification of a stored copy: the object is read back (a segmented one through its manifest, as a download
/// would get it) and both digests computed in process; a missing object is reported as such. Swift ends the body of
/// a segmented object early where a segment is gone or no longer matches its manifest (Swift's own SLOs and S3
/// multipart objects alike), which looks like a dropped connection: so a read that breaks off is tried once more,
/// and when the object is still there and the read breaks at the same place again, the object is damaged
/// (<see cref="StoredFileCheck.Unreadable"/>). Any other broken read is a <see cref="StorageException"/>: the copy
/// could not be verified, which changes nothing.
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

        var (check, first, error) = await ReadDigestsAsync(client, key, bytesPerSecond, progress, cancellationToken);
        if (check is not null)
        {
            return check;
        }

        if (await client.HeadAsync(key, cancellationToken) is not { } head)
        {
            return StoredFileCheck.NotThere;
        }

        (check, var second, error) = await ReadDigestsAsync(client, key, bytesPerSecond, progress, cancellationToken);
        if (check is not null)
        {
            return check;
        }

        if (second == first)
        {
            return new StoredFileCheck(false, second, null, null)
            {
                Unreadable = $"the object cannot be read whole: the store ends it after {second} of {head.Size} bytes, twice (a segment is missing or no longer matches the manifest)",
            };
        }

        throw new StorageException(error!.Failure, $"reading {installPath} back broke off: {error.Message}", error);
    }

    /// <summary>The digests of the whole object, or where its read broke off and why.</summary>
    private static async Task<(StoredFileCheck? Check, long BrokeAt, StorageException? Error)> ReadDigestsAsync(
        IObjectClient client, string key, Func<long> bytesPerSecond, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var done = new ReadProgress(progress);
        await using var stream = await client.OpenReadAsync(key, 0, cancellationToken);
        try
        {
            return (await StreamDigests.ComputeAsync(stream, bytesPerSecond, done, cancellationToken), 0, null);
        }
        catch (ObjectReadStream.StorageIOException e) when (e.InnerException is StorageException broken)
        {
            return (null, done.Bytes, broken);
        }
    }

    /// <summary>Passes progress on and keeps the last count (reported in the reading order, so no post-back).</summary>
    private sealed class ReadProgress(IProgress<TransferProgress>? inner) : IProgress<TransferProgress>
    {
        public long Bytes { get; private set; }

        public void Report(TransferProgress value)
        {
            Bytes = value.BytesDone;
            inner?.Report(value);
        }
    }
}
