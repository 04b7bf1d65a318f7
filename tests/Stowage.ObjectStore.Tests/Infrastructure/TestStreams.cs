namespace Stowage.ObjectStore.Tests.Infrastructure;

/// <summary>A source that hands out <see cref="Data"/> and runs <see cref="OnPassing"/> once when reads pass <see cref="TriggerAt"/> bytes.</summary>
public sealed class TriggerStream(byte[] data, long triggerAt, Func<Task> onPassing) : Stream
{
    private long _position;
    private bool _fired;

    public byte[] Data => data;

    public long TriggerAt => triggerAt;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => data.Length;

    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!_fired && _position >= triggerAt)
        {
            _fired = true;
            await onPassing();
        }

        cancellationToken.ThrowIfCancellationRequested();
        var n = (int)Math.Min(Math.Min(buffer.Length, 64 * 1024), data.Length - _position);
        data.AsMemory((int)_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}

public static class TestData
{
    public static byte[] Random(int size, int seed)
    {
        var data = new byte[size];
        new Random(seed).NextBytes(data);
        return data;
    }

    public static string Md5(byte[] data) =>
#pragma warning disable CA5351
        Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(data));
#pragma warning restore CA5351

    public static string Sha256(byte[] data) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(data));

    public static async Task<byte[]> ReadAllAsync(Stream stream)
    {
        using var buffer = new MemoryStream();
        await stream.CopyToAsync(buffer);
        return buffer.ToArray();
    }
}
