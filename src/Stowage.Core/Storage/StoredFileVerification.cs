using System.Buffers;
using System.Diagnostics;
using System.Security.Cryptography;

namespace Stowage.Core.Storage;

/// <summary>
/// What re-reading a stored file found: whether it is there, its size and its md5 and sha256 (lowercase hex,
/// null when the file is missing). <see cref="Throttle"/> says how the read rate was held down, for the log.
/// </summary>
public sealed record StoredFileCheck(bool Missing, long Size, string? Md5, string? Sha256, string Throttle = "none")
{
    public static StoredFileCheck NotThere { get; } = new(true, 0, null, null);

    /// <summary>
    /// Set when the storage answers but cannot give the file's bytes back whole, the same way every time (an object
    /// store's manifest naming a segment that is gone or changed): the copy is damaged, for this reason.
    /// </summary>
    public string? Unreadable { get; init; }
}

/// <summary>
/// Verification of a stored copy where its bytes are (a storage type that can implements this next to
/// <see cref="IBackupStorageDriver"/> and sets <see cref="StorageCapabilities.VerifiesStoredFiles"/>): an SFTP
/// host hashes the file with its own tools, the filesystem family and the object stores read it once in process.
/// </summary>
public interface IStoredFileVerifier
{
    /// <summary>
    /// Re-reads <paramref name="installPath"/> and answers its size and digests; a missing file is
    /// <see cref="StoredFileCheck.Missing"/>, not an exception. <paramref name="bytesPerSecond"/> is the read-rate
    /// limit (0: none); in-process readers read it again as they go, so a changed global config applies at once.
    /// A cancelled verification leaves nothing behind on the storage.
    /// </summary>
    Task<StoredFileCheck> VerifyStoredFileAsync(
        BackupStorageTarget target, string installPath, Func<long> bytesPerSecond, IProgress<TransferProgress>? progress, CancellationToken cancellationToken);
}

/// <summary>md5 and sha256 of a stream read once, at most at a given rate: the in-process half of <see cref="IStoredFileVerifier"/>.</summary>
public static class StreamDigests
{
    private const int BlockSize = 1024 * 1024;

    public static async Task<StoredFileCheck> ComputeAsync(Stream source, Func<long> bytesPerSecond, IProgress<TransferProgress>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(bytesPerSecond);
        using var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(BlockSize);
        var limiter = new RateLimiter(bytesPerSecond);
        long done = 0;
        try
        {
            int n;
            while ((n = await ReadBlockAsync(source, buffer, ct)) > 0)
            {
                var block = new ReadOnlyMemory<byte>(buffer, 0, n);

                // Both digests of one block at the same time: a verification costs one read and the slower hash.
                var hashSha = Task.Run(() => sha.AppendData(block.Span), CancellationToken.None);
                md5.AppendData(block.Span);
                await hashSha;
                done += n;
                progress?.Report(new TransferProgress(done));
                await limiter.WaitAsync(n, ct);
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        return new StoredFileCheck(false, done, Convert.ToHexStringLower(md5.GetHashAndReset()), Convert.ToHexStringLower(sha.GetHashAndReset()),
            limiter.Applied ? "in-process rate limit" : "none");
    }

    private static async Task<int> ReadBlockAsync(Stream source, byte[] buffer, CancellationToken ct)
    {
        var total = 0;
        int n;
        while (total < BlockSize && (n = await source.ReadAsync(buffer.AsMemory(total, BlockSize - total), ct)) > 0)
        {
            total += n;
        }

        return total;
    }

    /// <summary>
    /// Holds reading to the limit read at every block: after each block it waits until the bytes read since the
    /// limit last changed would have taken that long at the limit. A new limit starts a new window, so it applies at once.
    /// </summary>
    private sealed class RateLimiter(Func<long> limit)
    {
        private long _rate = -1;
        private long _bytes;
        private long _start;

        public bool Applied { get; private set; }

        public async Task WaitAsync(long bytes, CancellationToken ct)
        {
            var rate = limit();
            if (rate != _rate)
            {
                _rate = rate;
                _bytes = 0;
                _start = Stopwatch.GetTimestamp();
            }

            if (rate <= 0)
            {
                return;
            }

            Applied = true;
            _bytes += bytes;
            var due = TimeSpan.FromSeconds((double)_bytes / rate) - Stopwatch.GetElapsedTime(_start);
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, ct);
            }
        }
    }
}
