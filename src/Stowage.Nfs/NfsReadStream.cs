using System.Buffers;
using System.Threading.Channels;

namespace Stowage.Nfs;

/// <summary>
/// Reads a file over NFS ahead of the caller: a worker reads large chunks in sequence (at most
/// <see cref="NfsOptions.Pipeline"/> waiting) while the caller consumes earlier ones, so hashing or sending
/// overlaps the network. Memory is bounded by the pipeline. A failed read is reported by the caller's
/// next Read once the chunks before it are consumed. The stream holds its context until disposed.
/// </summary>
internal sealed class NfsReadStream : Stream
{
    private readonly NfsLease _lease;
    private readonly IntPtr _fh;
    private readonly string _path;
    private readonly long _length;
    private readonly int _chunkSize;
    private readonly Channel<(byte[] Buffer, int Count)> _chunks;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _worker;
    private byte[]? _current;
    private int _currentCount;
    private int _currentPos;
    private long _position;
    private volatile Exception? _fault;
    private bool _disposed;

    public NfsReadStream(NfsLease lease, IntPtr fh, string path, long offset, long length, NfsOptions options)
    {
        _lease = lease;
        _fh = fh;
        _path = path;
        _length = length;
        _position = offset;
        _chunkSize = options.ChunkSize;
        _chunks = Channel.CreateBounded<(byte[], int)>(new BoundedChannelOptions(Math.Max(1, options.Pipeline)) { SingleReader = true, SingleWriter = true });
        _worker = Task.Run(() => WorkAsync(offset));
    }

    public override bool CanRead => !_disposed;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    /// <summary>The file's size when it was opened.</summary>
    public override long Length => _length;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (buffer.IsEmpty)
        {
            return 0;
        }
        if (_current is null || _currentPos == _currentCount)
        {
            ReleaseCurrent();
            if (!await _chunks.Reader.WaitToReadAsync(cancellationToken) || !_chunks.Reader.TryRead(out var next))
            {
                if (_fault is { } f)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(f);
                }
                return 0;
            }
            (_current, _currentCount) = next;
            _currentPos = 0;
        }
        var n = Math.Min(buffer.Length, _currentCount - _currentPos);
        _current.AsSpan(_currentPos, n).CopyTo(buffer.Span);
        _currentPos += n;
        _position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer, offset, count).GetAwaiter().GetResult();

    /// <summary>The only code that uses the context while the stream is open; it reads until the end of the file.</summary>
    private async Task WorkAsync(long offset)
    {
        var context = _lease.Context;
        try
        {
            while (!_stop.IsCancellationRequested)
            {
                var buffer = ArrayPool<byte>.Shared.Rent(_chunkSize);
                int filled;
                try
                {
                    // pread may return fewer bytes than asked; fill the chunk unless the file ends.
                    filled = 0;
                    while (filled < _chunkSize)
                    {
                        var n = context.Read(_fh, offset + filled, buffer.AsSpan(filled, _chunkSize - filled), _path);
                        if (n == 0)
                        {
                            break;
                        }
                        filled += n;
                    }
                    if (filled > 0)
                    {
                        await _chunks.Writer.WriteAsync((buffer, filled), _stop.Token);
                    }
                }
                catch
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    throw;
                }
                if (filled < _chunkSize)
                {
                    break;
                }
                offset += filled;
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
        }
        catch (Exception e)
        {
            _fault = e;
        }
        finally
        {
            _chunks.Writer.TryComplete();
        }
    }

    private void ReleaseCurrent()
    {
        if (_current is { } b)
        {
            ArrayPool<byte>.Shared.Return(b);
            _current = null;
        }
    }

    /// <summary>Stops the worker (it ends within one call, bounded by the timeout), frees the handle and gives the context back.</summary>
    public override async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        _stop.Cancel();
        await _worker;
        ReleaseCurrent();
        while (_chunks.Reader.TryRead(out var c))
        {
            ArrayPool<byte>.Shared.Return(c.Buffer);
        }
        _lease.Context.Close(_fh);
        _lease.Dispose();
        _stop.Dispose();
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && !_disposed)
        {
            DisposeAsync().AsTask().GetAwaiter().GetResult();
        }
        base.Dispose(disposing);
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
