using System.Security.Cryptography;
using Stowage.Core.Storage;

namespace Stowage.ObjectStore;

/// <summary>
/// The image data path: streamed writes in segments with md5 and sha256 computed on the way, reads with an
/// offset, deletes. A write whose bytes fit in one segment is one PUT made only after the expectations were
/// checked, so a mismatch stores nothing; larger writes become visible only when the manifest (Swift) or the
/// multipart completion (S3) is accepted, after the checks, and a failed one removes its segments.
/// </summary>
public abstract partial class ObjectStoreDriver
{
    /// <summary>Metadata names Stowage keeps on an image object (lowercase, without the store's prefix).</summary>
    internal const string MetaMd5 = "stowage-md5";

    internal const string MetaSha256 = "stowage-sha256";

    private const int HeaderBytes = ImageHeader.Needed;

    public Task<ImageFileFacts> DownloadFromUrlAsync(BackupStorageTarget target, ImageDownload download, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        throw new StorageException(StorageFailure.SourceUnreachable, "an object store does not fetch urls itself; Stowage streams the bytes");

    public async Task<ImageFileFacts> WriteFromStreamAsync(BackupStorageTarget target, Stream source, string installPath, ImageExpectations expect, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(expect);
        var (client, location) = Open(target);
        var key = location.KeyOf(target, installPath);
        var segmentSize = SegmentSize(target, client, expect.Size);
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var sha256 = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var header = new byte[HeaderBytes];
        var headerLength = 0;
        long total = 0;
        ISegmentedWrite? write = null;
        await using var pipeline = new SegmentPipeline(segmentSize, md5, sha256, KeepHeader);
        try
        {
            var current = pipeline.Rent();
            var filled = await FillAsync(source, current, segmentSize, progress, 0, cancellationToken);
            if (filled < segmentSize)
            {
                // The whole image fits in one segment: check it, then store it in one request.
                KeepHeader(current, filled);
                md5.AppendData(current, 0, filled);
                sha256.AppendData(current, 0, filled);
                var facts = Verify(installPath, expect, filled, md5, sha256, header.AsSpan(0, headerLength));
                await client.PutAsync(key, current.AsMemory(0, filled), Checksums.Md5Hex(current.AsSpan(0, filled)), Metadata(facts), cancellationToken);
                await RemoveStaleLeftoversAsync(target, client, key);
                progress?.Report(new TransferProgress(filled));
                return facts;
            }

            write = await client.StartSegmentedAsync(key, cancellationToken);
            var number = 0;
            while (filled > 0)
            {
                number++;
                if (number > client.MaxSegments)
                {
                    throw new StorageException(StorageFailure.CommandFailed,
                        $"the image is larger than {client.MaxSegments} segments of {segmentSize} bytes; set a larger {ObjectStoreSettings.SegmentSize} on backup storage {target.Uuid}");
                }

                // Several segments travel at once while the next one is read; the pipeline bounds the memory.
                current = await pipeline.SendAsync(write, number, current, filled, cancellationToken);
                total += filled;
                filled = await FillAsync(source, current, segmentSize, progress, total, cancellationToken);
            }

            await pipeline.FinishAsync();
            var result = Verify(installPath, expect, total, md5, sha256, header.AsSpan(0, headerLength));
            await write.CompleteAsync(Metadata(result), cancellationToken);
            write = null;
            await RemoveStaleLeftoversAsync(target, client, key);
            progress?.Report(new TransferProgress(total));
            return result;
        }
        catch (Exception e) when (write is not null)
        {
            // No segment upload may still run when the abort lists and removes them.
            await pipeline.DisposeAsync();
            await AbortAsync(target, write, key, e);
            throw;
        }

        // Runs in the pipeline's hashing order, one segment after another.
        void KeepHeader(byte[] buffer, int count)
        {
            if (headerLength < HeaderBytes)
            {
                var n = Math.Min(HeaderBytes - headerLength, count);
                buffer.AsSpan(0, n).CopyTo(header.AsSpan(headerLength));
                headerLength += n;
            }
        }
    }

    public async Task<Stream> OpenReadAsync(BackupStorageTarget target, string installPath, long offset, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var (client, location) = Open(target);
        return await client.OpenReadAsync(location.KeyOf(target, installPath), offset, cancellationToken);
    }

    /// <summary>Removes every object of the image's folder (one image per folder), segments included.</summary>
    public async Task DeleteImageAsync(BackupStorageTarget target, string installPath, CancellationToken cancellationToken)
    {
        var (client, location) = Open(target);
        var key = location.KeyOf(target, installPath);
        var folder = key[..(key.LastIndexOf('/') + 1)];
        await DeleteUnderAsync(client, folder, cancellationToken);
    }

    private static async Task DeleteUnderAsync(IObjectClient client, string prefix, CancellationToken ct)
    {
        foreach (var o in await client.ListAsync(prefix, ct))
        {
            await client.DeleteAsync(o.Key, ct);
        }

        foreach (var l in await client.ListLeftoversAsync(prefix, ct))
        {
            await client.RemoveLeftoversAsync(l.Key, ct);
        }
    }

    /// <summary>The configured segment size, grown so that an announced size fits in the store's segment limit.</summary>
    private static int SegmentSize(BackupStorageTarget target, IObjectClient client, long? expectedSize)
    {
        var configured = ObjectStoreSettings.Long(target, ObjectStoreSettings.SegmentSize) ?? ObjectStoreSettings.DefaultSegmentSize;
        var size = Math.Clamp(configured, client.MinSegmentSize, 1L << 30);
        if (expectedSize is { } announced && announced / size >= client.MaxSegments)
        {
            size = Math.Min(1L << 30, (announced / (client.MaxSegments - 1)) + 1);
        }

        return (int)size;
    }

    /// <summary>
    /// Reads up to <paramref name="count"/> bytes; reports the bytes received so far (<paramref name="before"/> plus
    /// this buffer's) every MiB, so a task shows progress while a segment of many MiB is still filling.
    /// </summary>
    private static async Task<int> FillAsync(Stream source, byte[] buffer, int count, IProgress<TransferProgress>? progress, long before, CancellationToken ct)
    {
        const int ReportEvery = 1024 * 1024;
        var filled = 0;
        var reported = 0;
        try
        {
            while (filled < count)
            {
                var n = await source.ReadAsync(buffer.AsMemory(filled, count - filled), ct);
                if (n == 0)
                {
                    break;
                }

                filled += n;
                if (progress is not null && filled - reported >= ReportEvery)
                {
                    reported = filled;
                    progress.Report(new TransferProgress(before + filled));
                }
            }
        }
        catch (IOException e)
        {
            throw new StorageException(StorageFailure.SourceFailed, $"the source broke off: {e.Message}", e);
        }

        return filled;
    }

    /// <summary>Checks the size and digests the caller expects; a mismatch fails before anything becomes visible.</summary>
    private static ImageFileFacts Verify(string installPath, ImageExpectations expect, long size, IncrementalHash md5, IncrementalHash sha256, ReadOnlySpan<byte> header) =>
        Verify(installPath, expect, size, Convert.ToHexStringLower(md5.GetCurrentHash()), Convert.ToHexStringLower(sha256.GetCurrentHash()), header);

    private static ImageFileFacts Verify(string installPath, ImageExpectations expect, long size, string md5Hex, string shaHex, ReadOnlySpan<byte> header)
    {
        if (expect.Size is { } announced && announced != size)
        {
            throw new StorageException(StorageFailure.SourceFailed, $"the source sent {size} bytes, not the {announced} it announced");
        }

        if (expect.Md5 is { } m && !string.Equals(m, md5Hex, StringComparison.OrdinalIgnoreCase))
        {
            throw new StorageException(StorageFailure.SourceFailed, $"md5 checksum mismatch: the file has {md5Hex}");
        }

        if (expect.Sha256 is { } s && !string.Equals(s, shaHex, StringComparison.OrdinalIgnoreCase))
        {
            throw new StorageException(StorageFailure.SourceFailed, $"sha256 checksum mismatch: the file has {shaHex}");
        }

        var (format, virtualSize) = ImageHeader.Probe(header, size);
        return new ImageFileFacts(installPath, size, virtualSize, format, md5Hex, shaHex);
    }

    private static Dictionary<string, string> Metadata(ImageFileFacts facts) => new(StringComparer.Ordinal)
    {
        [MetaMd5] = facts.Md5,
        [MetaSha256] = facts.Sha256,
    };

    private async Task AbortAsync(BackupStorageTarget target, ISegmentedWrite write, string key, Exception cause)
    {
        // The caller's token may be the reason we are here: clean up on a token of our own, bounded.
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await write.AbortAsync(cts.Token);
        }
        catch (Exception e) when (e is StorageException or OperationCanceledException)
        {
            Log.AbortFailed(Logger, target.Uuid, key, $"{e.Message}; the write failed with: {cause.Message}");
        }
    }

    /// <summary>After a write succeeded, the leftovers of earlier failed writes of the same key are garbage.</summary>
    private async Task RemoveStaleLeftoversAsync(BackupStorageTarget target, IObjectClient client, string key)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await client.RemoveLeftoversAsync(key, cts.Token);
        }
        catch (Exception e) when (e is StorageException or OperationCanceledException)
        {
            Log.AbortFailed(Logger, target.Uuid, key, e.Message);
        }
    }
}
