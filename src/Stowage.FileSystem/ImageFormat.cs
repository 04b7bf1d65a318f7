using System.Buffers.Binary;

namespace Stowage.FileSystem;

/// <summary>An image file's format (qemu-img's names) and virtual size; null size means "the file's size".</summary>
public sealed record FormatFacts(string Format, long? VirtualSize);

/// <summary>
/// Format and virtual size from the file's first bytes, for a store where qemu-img cannot run on the file
/// (NFS through libnfs) or where it is not installed. ISO 9660 is checked first, as the SFTP type does (qemu-img
/// calls an ISO "raw"); then the headers qemu-img probes by magic: qcow2/qcow (size at byte 24, big-endian),
/// VMDK sparse extents ("KDMV", sectors at byte 12), VHD ("conectix", current size at byte 48), VDI (signature
/// at 0x40, size at 0x170), QED ("QED\0", size at byte 48) and VHDX (size kept in its metadata region: the file
/// size is reported); anything else is raw.
/// </summary>
public static class ImageFormat
{
    /// <summary>Bytes to read from the start of the file for <see cref="Detect"/>.</summary>
    public const int HeaderBytes = 32 * 1024 + 8;

    private const int IsoOffset = 32769;

    private static ReadOnlySpan<byte> QcowMagic => [0x51, 0x46, 0x49, 0xfb];

    public static bool IsIso(ReadOnlySpan<byte> head) =>
        head.Length >= IsoOffset + 5 && head.Slice(IsoOffset, 5).SequenceEqual("CD001"u8);

    public static FormatFacts Detect(ReadOnlySpan<byte> head)
    {
        if (IsIso(head))
        {
            return new FormatFacts("iso", null);
        }

        if (head.Length >= 32 && head[..4].SequenceEqual(QcowMagic))
        {
            var version = BinaryPrimitives.ReadUInt32BigEndian(head[4..]);
            return new FormatFacts(version == 1 ? "qcow" : "qcow2", Positive(BinaryPrimitives.ReadUInt64BigEndian(head[24..])));
        }

        if (head.Length >= 20 && head[..4].SequenceEqual("KDMV"u8))
        {
            return new FormatFacts("vmdk", Positive(BinaryPrimitives.ReadUInt64LittleEndian(head[12..]) * 512));
        }

        if (head.Length >= 56 && head[..8].SequenceEqual("conectix"u8))
        {
            return new FormatFacts("vpc", Positive(BinaryPrimitives.ReadUInt64BigEndian(head[48..])));
        }

        if (head.Length >= 0x178 && BinaryPrimitives.ReadUInt32LittleEndian(head[0x40..]) == 0xbeda107f)
        {
            return new FormatFacts("vdi", Positive(BinaryPrimitives.ReadUInt64LittleEndian(head[0x170..])));
        }

        if (head.Length >= 56 && head[..4].SequenceEqual("QED\0"u8))
        {
            return new FormatFacts("qed", Positive(BinaryPrimitives.ReadUInt64LittleEndian(head[48..])));
        }

        if (head.Length >= 8 && head[..8].SequenceEqual("vhdxfile"u8))
        {
            return new FormatFacts("vhdx", null);
        }

        return new FormatFacts("raw", null);
    }

    /// <summary>Reads the head of a stream (up to <see cref="HeaderBytes"/>) and detects the format.</summary>
    public static async Task<FormatFacts> DetectAsync(Stream stream, CancellationToken ct)
    {
        var buffer = new byte[HeaderBytes];
        var filled = 0;
        int n;
        while (filled < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(filled), ct)) > 0)
        {
            filled += n;
        }

        return Detect(buffer.AsSpan(0, filled));
    }

    private static long? Positive(ulong value) => value is > 0 and <= long.MaxValue ? (long)value : null;
}
