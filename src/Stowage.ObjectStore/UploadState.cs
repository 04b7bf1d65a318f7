using System.Buffers.Binary;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Stowage.ObjectStore;

/// <summary>
/// What a resumable upload has stored, kept in one object <c>&lt;image key&gt;.stowage-upload</c> beside the image
/// and replaced by one PUT (so readers see the old state or the new one): the segmented write (Swift write id or S3
/// upload id) with its stored segments, the segment size, the digests of every byte received so far (see
/// <see cref="ResumableDigest"/>), the image's first bytes (for the format probe), and the <b>tail</b>: the bytes
/// received past the last full segment, which wait here until the next piece completes their segment. Layout:
/// a 4-byte little-endian length, that many bytes of JSON, then the tail.
/// </summary>
internal sealed class UploadState
{
    /// <summary>The state's own metadata name: bytes received, so a HEAD answers a progress query.</summary>
    public const string ReceivedMeta = "stowage-upload-received";

    private static readonly JsonSerializerOptions Json = new() { DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull };

    public required int SegmentSize { get; init; }

    public required long Total { get; init; }

    /// <summary>Null until the first full segment starts the segmented write (an image smaller than a segment never does).</summary>
    public string? WriteId { get; set; }

    public List<UploadedSegment> Segments { get; set; } = [];

    /// <summary>The image's first <see cref="ImageHeader.Needed"/> bytes (fewer while fewer arrived).</summary>
    public byte[] Header { get; set; } = [];

    public required ResumableDigest Digest { get; set; }

    public long SegmentBytes => Segments.Sum(s => s.Size);

    public byte[] Serialize(ReadOnlySpan<byte> tail)
    {
        var (md5, sha256) = Digest.Export();
        var json = JsonSerializer.SerializeToUtf8Bytes(new Saved(1, SegmentSize, Total, WriteId, [.. Segments.Select(s => new SavedSegment(s.Number, s.Etag, s.Size))],
            Convert.ToBase64String(Header), md5, sha256, Digest.Bytes), Json);
        var result = new byte[4 + json.Length + tail.Length];
        BinaryPrimitives.WriteInt32LittleEndian(result, json.Length);
        json.CopyTo(result.AsSpan(4));
        tail.CopyTo(result.AsSpan(4 + json.Length));
        return result;
    }

    /// <summary>The state and its tail, or null when the object is not one this code wrote (or its digests cannot continue here).</summary>
    public static (UploadState State, byte[] Tail)? Parse(byte[] data)
    {
        try
        {
            var length = data.Length >= 4 ? BinaryPrimitives.ReadInt32LittleEndian(data) : -1;
            if (length <= 0 || length > data.Length - 4)
            {
                return null;
            }

            var saved = JsonSerializer.Deserialize<Saved>(data.AsSpan(4, length), Json);
            if (saved is not { Version: 1 } || saved.SegmentSize <= 0)
            {
                return null;
            }

            var tail = data[(4 + length)..];
            var segments = saved.Segments.Select(s => new UploadedSegment(s.Number, s.Etag, s.Size)).ToList();
            if (saved.Received != segments.Sum(s => s.Size) + tail.Length || ResumableDigest.Import(saved.Md5, saved.Sha256, saved.Received) is not { } digest)
            {
                return null;
            }

            return (new UploadState
            {
                SegmentSize = saved.SegmentSize, Total = saved.Total, WriteId = saved.WriteId, Segments = segments,
                Header = Convert.FromBase64String(saved.Header), Digest = digest,
            }, tail);
        }
        catch (Exception e) when (e is JsonException or FormatException)
        {
            return null;
        }
    }

    public Dictionary<string, string> Metadata() => new(StringComparer.Ordinal)
    {
        [ReceivedMeta] = Digest.Bytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    private sealed record Saved(int Version, int SegmentSize, long Total, string? WriteId, List<SavedSegment> Segments, string Header, string Md5, string Sha256, long Received);

    private sealed record SavedSegment(int Number, string Etag, long Size);
}
