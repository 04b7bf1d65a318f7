using System.Globalization;

namespace Stowage.Persistence.Query;

/// <summary>Parses the date forms a query may carry; every stored timestamp is UTC.</summary>
public static class ZStackDates
{
    public const string WireFormat = "MMM d, yyyy h:mm:ss tt";

    private static readonly string[] Formats = [WireFormat, "MMM d, yyyy, h:mm:ss tt"];

    public static bool TryParse(string value, out DateTime utc)
    {
        var v = value.Replace('\u202f', ' ').Trim();
        if (DateTime.TryParseExact(v, Formats, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out utc))
        {
            return true;
        }

        if (long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var ms) && ms < 253402300800000)
        {
            utc = DateTime.UnixEpoch.AddMilliseconds(ms);
            return true;
        }

        if (DateTime.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out utc)
            && v.Contains('-', StringComparison.Ordinal))
        {
            return true;
        }

        utc = default;
        return false;
    }

    public static string Format(DateTime utc) => utc.ToString(WireFormat, CultureInfo.InvariantCulture);
}
