using System.Globalization;

namespace Stowage.Core.Config;

/// <summary>ZStack's size strings: a byte count with an optional K/M/G/T/P suffix (binary units).</summary>
public static class SizeString
{
    public static bool TryParse(string? text, out long bytes)
    {
        bytes = 0;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim().ToUpperInvariant();
        if (s.EndsWith('B'))
        {
            s = s[..^1];
        }

        var shift = s.Length == 0 ? 0 : s[^1] switch
        {
            'K' => 10,
            'M' => 20,
            'G' => 30,
            'T' => 40,
            'P' => 50,
            _ => 0,
        };
        if (shift > 0)
        {
            s = s[..^1];
        }

        if (!long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
        {
            return false;
        }

        if (shift > 0 && n > (long.MaxValue >> shift))
        {
            return false;
        }

        bytes = n << shift;
        return true;
    }
}
