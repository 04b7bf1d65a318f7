using System.Globalization;
using System.Text;

namespace Stowage.FileSystem;

/// <summary>
/// The mount points declared in <c>/etc/fstab</c> and those mounted now (<c>/proc/self/mountinfo</c>), so a
/// connect does not create a missing url on the root disk underneath a shared filesystem that is not mounted.
/// </summary>
internal sealed class MountTable(IReadOnlySet<string> declared, IReadOnlySet<string> mounted)
{
    public static MountTable Read(string fstab = "/etc/fstab", string mountinfo = "/proc/self/mountinfo") =>
        new(Parse(fstab, 1), Parse(mountinfo, 4));

    /// <summary>The first declared mount point at or above <paramref name="path"/> that is not mounted now, or null.</summary>
    public string? UnmountedAbove(string path)
    {
        for (var p = path.TrimEnd('/'); p.Length > 0; p = p[..p.LastIndexOf('/')])
        {
            if (declared.Contains(p) && !mounted.Contains(p))
            {
                return p;
            }
        }

        return null;
    }

    /// <summary>Field <paramref name="field"/> (0-based, whitespace separated) of each non-comment line, octal escapes (\040) decoded.</summary>
    private static HashSet<string> Parse(string file, int field)
    {
        var set = new HashSet<string>(StringComparer.Ordinal);
        string[] lines;
        try
        {
            lines = File.ReadAllLines(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return set;
        }

        foreach (var line in lines)
        {
            var fields = line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length > field && !fields[0].StartsWith('#'))
            {
                var point = Unescape(fields[field]).TrimEnd('/');
                if (point.StartsWith('/'))
                {
                    set.Add(point);
                }
            }
        }

        return set;
    }

    private static string Unescape(string text)
    {
        if (!text.Contains('\\', StringComparison.Ordinal))
        {
            return text;
        }

        var bytes = new List<byte>();
        for (var i = 0; i < text.Length; i++)
        {
            if (text[i] == '\\' && i + 3 < text.Length
                && int.TryParse(text.AsSpan(i + 1, 3), NumberStyles.None, CultureInfo.InvariantCulture, out _))
            {
                bytes.Add(Convert.ToByte(text.Substring(i + 1, 3), 8));
                i += 3;
            }
            else
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(text[i].ToString()));
            }
        }

        return Encoding.UTF8.GetString(bytes.ToArray());
    }
}
