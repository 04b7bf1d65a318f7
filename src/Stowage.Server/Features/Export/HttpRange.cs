using System.Globalization;

namespace Stowage.Server.Features.Export;

/// <summary>The outcome of reading a <c>Range</c> header against a representation of a given length.</summary>
public enum RangeKind
{
    /// <summary>No usable Range (absent, not bytes, several ranges, malformed): send the whole body with 200.</summary>
    Full,

    /// <summary>One satisfiable range: 206 with Content-Range.</summary>
    Partial,

    /// <summary>A well-formed range that starts at or past the end: 416.</summary>
    Unsatisfiable,
}

/// <summary>
/// A single byte range (RFC 9110 §14). Several ranges are answered with the whole body, which the RFC
/// allows and which spares multipart bodies nobody downloading an image asks for.
/// </summary>
public readonly record struct HttpRange(RangeKind Kind, long Start, long Length)
{
    public long End => Start + Length - 1;

    public static HttpRange Parse(string? header, long size)
    {
        var full = new HttpRange(RangeKind.Full, 0, size);
        if (string.IsNullOrWhiteSpace(header) || !header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase))
        {
            return full;
        }

        var spec = header[6..].Trim();
        if (spec.Contains(',', StringComparison.Ordinal))
        {
            return full;
        }

        var dash = spec.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            return full;
        }

        var first = spec[..dash].Trim();
        var last = spec[(dash + 1)..].Trim();
        if (first.Length == 0)
        {
            // Suffix range: the last N bytes.
            if (!TryNumber(last, out var suffix))
            {
                return full;
            }

            return suffix == 0 || size == 0
                ? new HttpRange(RangeKind.Unsatisfiable, 0, 0)
                : new HttpRange(RangeKind.Partial, Math.Max(0, size - suffix), Math.Min(suffix, size));
        }

        if (!TryNumber(first, out var start))
        {
            return full;
        }

        long end = size - 1;
        if (last.Length > 0)
        {
            if (!TryNumber(last, out end) || end < start)
            {
                return full;
            }
        }

        if (start >= size)
        {
            return new HttpRange(RangeKind.Unsatisfiable, 0, 0);
        }

        end = Math.Min(end, size - 1);
        return new HttpRange(RangeKind.Partial, start, end - start + 1);
    }

    private static bool TryNumber(string text, out long value) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
}
