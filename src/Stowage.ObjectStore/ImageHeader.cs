using System.Buffers.Binary;

namespace Stowage.ObjectStore;

/// <summary>
/// Format and virtual size from an image's first bytes, since no qemu-img runs next to an object store:
/// qcow2 (magic <c>QFI\xfb</c>, virtual size at offset 24), ISO 9660 (<c>CD001</c> at 32769), else raw.
/// </summary>
internal static class ImageHeader
{
    /// <summary>Bytes of the start of the file the probe looks at.</summary>
    public const int Needed = 32769 + 5;

    public static (string Format, long VirtualSize) Probe(ReadOnlySpan<byte> header, long actualSize)
    {
        if (header.Length >= 32 && header[0] == 'Q' && header[1] == 'F' && header[2] == 'I' && header[3] == 0xfb)
        {
            var size = BinaryPrimitives.ReadInt64BigEndian(header.Slice(24, 8));
            return ("qcow2", size > 0 ? size : actualSize);
        }

        if (header.Length >= Needed && header.Slice(32769, 5).SequenceEqual("CD001"u8))
        {
            return ("iso", actualSize);
        }

        return ("raw", actualSize);
    }
}
