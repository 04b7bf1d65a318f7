using Stowage.Core.Storage;

namespace Stowage.ObjectStore;

/// <summary>
/// A response body read from an offset whose <see cref="Length"/> is the whole object's size (what
/// <see cref="IImageReader"/> promises); a broken connection surfaces as <see cref="IOException"/> with the
/// <see cref="StorageException"/> as its inner exception. Disposing it releases the response.
/// </summary>
internal sealed class ObjectReadStream(Stream body, long length, IDisposable? owner) : Stream
{
    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public override int Read(byte[] buffer, int offset, int count) => Wrap(() => body.Read(buffer, offset, count));

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        try
        {
            return await body.ReadAsync(buffer, cancellationToken);
        }
        catch (Exception e) when (e is HttpRequestException or IOException && e is not StorageIOException)
        {
            throw new StorageIOException(e);
        }
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            body.Dispose();
            owner?.Dispose();
        }

        base.Dispose(disposing);
    }

    private static int Wrap(Func<int> read)
    {
        try
        {
            return read();
        }
        catch (Exception e) when (e is HttpRequestException or IOException && e is not StorageIOException)
        {
            throw new StorageIOException(e);
        }
    }

    /// <summary>The read broke off: the store went away or the connection dropped.</summary>
    internal sealed class StorageIOException(Exception inner)
        : IOException("the connection to the object store broke during the read", new StorageException(StorageFailure.Unreachable, inner.Message, inner));
}
