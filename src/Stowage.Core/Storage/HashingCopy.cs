using System.Buffers;
using System.Security.Cryptography;

namespace Stowage.Core.Storage;

/// <summary>Bytes copied and their digests (lowercase hex).</summary>
public sealed record CopyDigests(long Bytes, string Md5, string Sha256);

/// <summary>md5 and sha256 of the bytes hashed so far, which further copies continue (an upload sent in pieces).</summary>
public sealed class RunningDigests : IDisposable
{
    internal IncrementalHash Md5 { get; } = IncrementalHash.CreateHash(HashAlgorithmName.MD5);

    internal IncrementalHash Sha256 { get; } = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);

    /// <summary>Bytes hashed so far.</summary>
    public long Bytes { get; internal set; }

    /// <summary>The digests of all bytes so far; hashing can go on after.</summary>
    public CopyDigests Current() => new(Bytes, Convert.ToHexStringLower(Md5.GetCurrentHash()), Convert.ToHexStringLower(Sha256.GetCurrentHash()));

    public void Dispose()
    {
        Md5.Dispose();
        Sha256.Dispose();
    }
}

/// <summary>
/// Copies a source into a destination (a file, or the standard input of a writer on a storage host) while md5
/// and sha256 are computed from the same buffers, so the bytes are never read a second time. Two buffers alternate: while one is written and hashed (md5, sha256 and the write run
/// at the same time, on up to three threads), the next is filled from the source. Memory is two blocks,
/// whatever the size.
/// </summary>
public static class HashingCopy
{
    public const int BlockSize = 1024 * 1024;

    /// <summary>
    /// Copies until the source ends. A failure to read the source is <see cref="StorageFailure.SourceFailed"/>
    /// unless <paramref name="stopOnSourceError"/>, in which case the copy ends there (a resumable upload keeps
    /// what arrived); failures of the destination stream pass through.
    /// </summary>
    public static async Task<CopyDigests> CopyAsync(Stream source, Stream destination, IProgress<TransferProgress>? progress, bool stopOnSourceError, CancellationToken ct)
    {
        using var running = new RunningDigests();
        return await CopyAsync(source, destination, progress, stopOnSourceError, running, ct);
    }

    /// <summary>
    /// As above, continuing <paramref name="running"/> (the digests of the bytes before this copy, e.g. the earlier
    /// pieces of an upload); the answer covers them all, and <paramref name="running"/> goes on from there.
    /// </summary>
    public static async Task<CopyDigests> CopyAsync(Stream source, Stream destination, IProgress<TransferProgress>? progress, bool stopOnSourceError, RunningDigests running, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(running);
        var md5 = running.Md5;
        var sha = running.Sha256;
        var buffers = new[] { ArrayPool<byte>.Shared.Rent(BlockSize), ArrayPool<byte>.Shared.Rent(BlockSize) };
        Task pending = Task.CompletedTask;
        long done = 0;
        try
        {
            for (var i = 0; ; i ^= 1)
            {
                var buffer = buffers[i];
                var (n, error) = await FillAsync(source, buffer, ct);
                await pending;
                if (error is not null && (!stopOnSourceError || error is StorageException))
                {
                    throw error as StorageException ?? new StorageException(StorageFailure.SourceFailed, $"reading the source failed: {error.GetType().Name}: {error.Message}", error);
                }

                if (n > 0)
                {
                    var block = new ReadOnlyMemory<byte>(buffer, 0, n);
                    var write = destination.WriteAsync(block, ct).AsTask();
                    var hashMd5 = Task.Run(() => md5.AppendData(block.Span), CancellationToken.None);
                    var hashSha = Task.Run(() => sha.AppendData(block.Span), CancellationToken.None);
                    done += n;
                    running.Bytes += n;
                    var reported = done;
                    pending = Task.WhenAll(write, hashMd5, hashSha).ContinueWith(t =>
                    {
                        t.GetAwaiter().GetResult();
                        progress?.Report(new TransferProgress(reported));
                    }, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
                }

                if (n < BlockSize || error is not null)
                {
                    await pending;
                    break;
                }
            }

            return running.Current();
        }
        finally
        {
            await Quietly(pending);
            ArrayPool<byte>.Shared.Return(buffers[0]);
            ArrayPool<byte>.Shared.Return(buffers[1]);
        }
    }

    /// <summary>md5 and sha256 of a whole stream (a resumable upload finished over several requests).</summary>
    public static async Task<CopyDigests> HashAsync(Stream source, CancellationToken ct) =>
        await CopyAsync(source, Stream.Null, null, stopOnSourceError: false, ct);

    /// <summary>
    /// Reads until the buffer is full or the source ends (fewer bytes than a block only at the end), and
    /// returns a read failure with the bytes that arrived before it instead of throwing.
    /// </summary>
    private static async Task<(int Filled, Exception? Error)> FillAsync(Stream source, byte[] buffer, CancellationToken ct)
    {
        var filled = 0;
        try
        {
            while (filled < BlockSize)
            {
                var n = await source.ReadAsync(buffer.AsMemory(filled, BlockSize - filled), ct);
                if (n == 0)
                {
                    break;
                }

                filled += n;
            }
        }
        catch (Exception e) when (e is not OperationCanceledException || !ct.IsCancellationRequested)
        {
            return (filled, e);
        }

        return (filled, null);
    }

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception)
        {
            // Observed here; the caller reports the failure that ended the copy.
        }
    }
}
