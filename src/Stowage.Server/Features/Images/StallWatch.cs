using Stowage.Server.Features.GlobalConfigs;

namespace Stowage.Server.Features.Images;

/// <summary>
/// Stops a download whose source stopped sending: no new byte for <c>image/download.stallTimeout</c> seconds,
/// read again on every check so a changed value reaches running downloads. A healthy download may take as
/// long as its job allows. The watch is armed while bytes are expected: a wrapped source stream until its end,
/// or reported progress until a known total is reached. The verification after the last byte (hashing a large
/// file on the host) is not a stall.
/// </summary>
public sealed class StallWatch : IDisposable
{
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(1);

    private readonly GlobalConfigStore _configs;
    private readonly TimeProvider _clock;
    private readonly CancellationTokenSource _cts = new();
    private readonly CancellationTokenSource _end = new();
    private long _lastBytes = -1;
    private long _lastActivityTicks;
    private int _streams;
    private int _streamsEnded;

    public StallWatch(GlobalConfigStore configs, TimeProvider clock, CancellationToken stop)
    {
        _configs = configs;
        _clock = clock;
        _lastActivityTicks = clock.GetUtcNow().UtcTicks;
        _ = LoopAsync(stop);
    }

    /// <summary>Cancelled when the source stalled.</summary>
    public CancellationToken Token => _cts.Token;

    /// <summary>The stall timeout that stopped the download, in seconds; 0 while it runs.</summary>
    public long StalledAfter { get; private set; }

    /// <summary>The bytes the source announced, when it did: progress up to it is expected.</summary>
    public long? Total { get; set; }

    /// <summary>Progress as the data path reports it (bytes written so far).</summary>
    public void Report(long bytesDone)
    {
        if (Interlocked.Exchange(ref _lastBytes, bytesDone) != bytesDone)
        {
            Interlocked.Exchange(ref _lastActivityTicks, _clock.GetUtcNow().UtcTicks);
        }
    }

    /// <summary>The source as a stream whose reads count as activity and whose end disarms the watch.</summary>
    public Stream Wrap(Stream source)
    {
        Interlocked.Increment(ref _streams);
        Interlocked.Exchange(ref _lastActivityTicks, _clock.GetUtcNow().UtcTicks);
        return new WatchedStream(source, this);
    }

    public void Dispose()
    {
        _end.Cancel();
        _end.Dispose();
        _cts.Dispose();
    }

    private bool Armed
    {
        get
        {
            if (Volatile.Read(ref _streams) > 0)
            {
                return Volatile.Read(ref _streamsEnded) < Volatile.Read(ref _streams);
            }

            return Total is { } total && Interlocked.Read(ref _lastBytes) < total;
        }
    }

    private async Task LoopAsync(CancellationToken stop)
    {
        try
        {
            using var both = CancellationTokenSource.CreateLinkedTokenSource(stop, _end.Token);
            while (!both.IsCancellationRequested)
            {
                await Task.Delay(Tick, _clock, both.Token);
                var limit = _configs.GetLong(ImageConfigs.StallTimeout);
                var idle = TimeSpan.FromTicks(_clock.GetUtcNow().UtcTicks - Interlocked.Read(ref _lastActivityTicks));
                if (Armed && idle >= TimeSpan.FromSeconds(limit))
                {
                    StalledAfter = limit;
                    await _cts.CancelAsync();
                    return;
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The download ended (or was stopped) first.
        }
        catch (ObjectDisposedException)
        {
            // Disposed while the last tick ran.
        }
    }

    private void Read(int n)
    {
        if (n > 0)
        {
            Interlocked.Exchange(ref _lastActivityTicks, _clock.GetUtcNow().UtcTicks);
        }
        else
        {
            Interlocked.Increment(ref _streamsEnded);
        }
    }

    /// <summary>Read-only pass-through that tells the watch about every read; the source's owner disposes the source.</summary>
    private sealed class WatchedStream(Stream inner, StallWatch watch) : Stream
    {
        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            var n = inner.Read(buffer, offset, count);
            watch.Read(n);
            return n;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var n = await inner.ReadAsync(buffer, cancellationToken);
            watch.Read(n);
            return n;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
