using System.Buffers;
using System.Security.Cryptography;

namespace Stowage.ObjectStore;

/// <summary>
/// The segments of one streamed write in flight: several segment uploads at once (a store spreads them over its
/// servers and hides each request's latency behind the others), each hashed while it travels, while the next segment
/// is read. Memory is bounded: at most <see cref="Buffers"/> segment buffers exist, one being filled and the others
/// uploading; a full pipeline waits for its oldest segment before reading on. The image's md5 and sha256 are computed
/// once per byte, segment after segment in order (md5 and sha256 side by side), off the read path; the segment's own
/// md5 (its ETag or Content-MD5) is computed beside them.
/// </summary>
internal sealed class SegmentPipeline(int segmentSize, IncrementalHash md5, IncrementalHash sha256, Action<byte[], int> keepHeader) : IAsyncDisposable
{
    /// <summary>Memory all buffers of one write may take together (at least two segments, whatever their size).</summary>
    public const long MemoryBudget = 64L * 1024 * 1024;

    private readonly Queue<(Task Done, byte[] Buffer)> _inflight = new();
    private readonly List<byte[]> _rented = [];
    private Task _hashed = Task.CompletedTask;

    // Segment requests in flight finish (bounded) when the write is cancelled, so none lands after the abort.
    private DrainToken? _drain;

    /// <summary>Buffers of this write: 64 MiB worth, two to six.</summary>
    public int Buffers { get; } = (int)Math.Clamp(MemoryBudget / segmentSize, 2, 6);

    public byte[] Rent()
    {
        var buffer = ArrayPool<byte>.Shared.Rent(segmentSize);
        _rented.Add(buffer);
        return buffer;
    }

    /// <summary>
    /// Starts segment <paramref name="number"/> and answers the buffer to fill next: a fresh one while fewer than
    /// <see cref="Buffers"/> exist, else the oldest segment's once it is stored and hashed. A failed segment fails this call.
    /// </summary>
    public async Task<byte[]> SendAsync(ISegmentedWrite write, int number, byte[] segment, int count, CancellationToken ct)
    {
        var prior = _hashed;
        _hashed = Task.Run(async () =>
        {
            await prior;
            var first = Task.Run(() =>
            {
                keepHeader(segment, count);
                md5.AppendData(segment, 0, count);
            }, CancellationToken.None);
            sha256.AppendData(segment, 0, count);
            await first;
        }, CancellationToken.None);
        var own = Task.Run(() => Checksums.Md5Hex(segment.AsSpan(0, count)), CancellationToken.None);
        _drain ??= new DrainToken(ct);
        var upload = write.UploadAsync(number, segment.AsMemory(0, count), own, _drain.Token);
        _inflight.Enqueue((Task.WhenAll(upload, _hashed, own), segment));
        if (_inflight.FirstOrDefault(i => i.Done.IsFaulted).Done is { } failed)
        {
            await failed;
        }

        if (_rented.Count < Buffers)
        {
            return Rent();
        }

        var (done, buffer) = _inflight.Dequeue();
        await done;
        return buffer;
    }

    /// <summary>Every segment stored and the digests complete.</summary>
    public async Task FinishAsync()
    {
        while (_inflight.Count > 0)
        {
            await _inflight.Dequeue().Done;
        }

        await _hashed;
    }

    /// <summary>Waits until nothing reads a buffer any more (also after a failure), then returns them to the pool; idempotent.</summary>
    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_inflight.Select(i => Task.WhenAny(i.Done)));
        await Task.WhenAny(_hashed);
        foreach (var buffer in _rented)
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        // Disposed again by the caller's using after an explicit early dispose: nothing is returned twice.
        _rented.Clear();
        _inflight.Clear();
        _drain?.Dispose();
        _drain = null;
    }
}
