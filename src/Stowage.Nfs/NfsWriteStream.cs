using System.Buffers;
using System.Threading.Channels;

namespace Stowage.Nfs;

/// <summary>
/// Writes a file over NFS in large chunks, behind the caller: the caller fills one chunk while a worker
/// sends the previous ones (at most <see cref="NfsOptions.Pipeline"/> queued), so hashing or receiving the
/// next bytes overlaps the network. <see cref="FlushAsync(CancellationToken)"/> sends what is buffered and
/// COMMITs (the bytes are on the server's stable storage when it returns). A failed write is reported by
/// the next Write or Flush. The stream holds its context until disposed.
/// </summary>
internal sealed class NfsWriteStream : Stream
{
    private readonly NfsLease _lease;
    private readonly IntPtr _fh;
    private readonly string _path;
    private readonly int _chunkSize;
    private readonly Channel<WriteJob> _jobs;
    private readonly Task _worker;
    private byte[]? _buffer;
    private int _filled;
    private long _position;
    private long _queuedTo;
    private volatile Exception? _fault;
    private bool _disposed;

    private sealed record WriteJob(byte[]? Buffer, int Count, long Offset, TaskCompletionSource? Commit);

    public NfsWriteStream(NfsLease lease, IntPtr fh, string path, long start, NfsOptions options)
    {
        _lease = lease;
        _fh = fh;
        _path = path;
        _chunkSize = options.ChunkSize;
        _position = _queuedTo = start;
        _jobs = Channel.CreateBounded<WriteJob>(new BoundedChannelOptions(Math.Max(1, options.Pipeline)) { SingleReader = true, SingleWriter = true });
        _worker = Task.Run(WorkAsync);
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => !_disposed;

    public override long Length => _position;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfFaulted();
        while (!buffer.IsEmpty)
        {
            _buffer ??= ArrayPool<byte>.Shared.Rent(_chunkSize);
            var n = Math.Min(buffer.Length, _chunkSize - _filled);
            buffer.Span[..n].CopyTo(_buffer.AsSpan(_filled));
            _filled += n;
            _position += n;
            buffer = buffer[n..];
            if (_filled == _chunkSize)
            {
                await QueueBufferAsync(cancellationToken);
            }
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count).GetAwaiter().GetResult();

    public override async Task FlushAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ThrowIfFaulted();
        await QueueBufferAsync(cancellationToken);
        var commit = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await _jobs.Writer.WriteAsync(new WriteJob(null, 0, 0, commit), cancellationToken);
        await commit.Task.WaitAsync(cancellationToken);
    }

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    private async Task QueueBufferAsync(CancellationToken cancellationToken)
    {
        if (_buffer is null || _filled == 0)
        {
            return;
        }
        var job = new WriteJob(_buffer, _filled, _queuedTo, null);
        _buffer = null;
        _queuedTo += _filled;
        _filled = 0;
        try
        {
            await _jobs.Writer.WriteAsync(job, cancellationToken);
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(job.Buffer!);
            throw;
        }
    }

    /// <summary>The only code that uses the context while the stream is open.</summary>
    private async Task WorkAsync()
    {
        var context = _lease.Context;
        await foreach (var job in _jobs.Reader.ReadAllAsync())
        {
            try
            {
                if (_fault is not null)
                {
                    job.Commit?.TrySetException(_fault);
                    continue;
                }
                if (job.Buffer is { } b)
                {
                    context.WriteAll(_fh, job.Offset, b.AsSpan(0, job.Count), _path);
                }
                else
                {
                    context.Fsync(_fh, _path);
                    job.Commit!.TrySetResult();
                }
            }
            catch (Exception e)
            {
                _fault = e;
                job.Commit?.TrySetException(e);
            }
            finally
            {
                if (job.Buffer is { } b)
                {
                    ArrayPool<byte>.Shared.Return(b);
                }
            }
        }
    }

    private void ThrowIfFaulted()
    {
        if (_fault is { } f)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(f);
        }
    }

    /// <summary>Sends what is buffered (without COMMIT), waits for the worker, frees the handle and gives the context back.</summary>
    public override async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            if (_fault is null)
            {
                await QueueBufferAsync(CancellationToken.None);
            }
        }
        catch
        {
            // Disposing without a flush carries no durability promise; a failure was or will be seen by the writer's Flush.
        }
        _jobs.Writer.TryComplete();
        await _worker;
        if (_buffer is { } b)
        {
            ArrayPool<byte>.Shared.Return(b);
            _buffer = null;
        }
        _lease.Context.Close(_fh);
        _lease.Dispose();
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

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
