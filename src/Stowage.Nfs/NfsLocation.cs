using System.Globalization;
using System.Text.RegularExpressions;

namespace Stowage.Nfs;

/// <summary>
/// Where an NFS backup storage lives: the server, the absolute path on it (export plus any directory below
/// it; which part is the export is found when mounting) and the ports when the server does not publish them
/// through rpcbind. Accepts <c>server:/export/path</c> and <c>nfs://server[:port]/export/path</c>.
/// </summary>
public sealed partial record NfsLocation(string Server, string Path, int? NfsPort, int? MountPort)
{
    /// <summary>The canonical url form, <c>server:/path</c> (the ports are kept in their own fields).</summary>
    public override string ToString() => $"{Server}:{Path}";

    /// <summary>
    /// Parses a url and the optional <paramref name="nfsPort"/>/<paramref name="mountPort"/> parameters.
    /// A port in an <c>nfs://</c> url is the NFS port; giving another one as a parameter is an error.
    /// </summary>
    /// <exception cref="FormatException">The url or a port is not valid; the message says why.</exception>
    public static NfsLocation Parse(string url, int? nfsPort = null, int? mountPort = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        string server, path;
        int? urlPort = null;
        if (url.StartsWith("nfs://", StringComparison.OrdinalIgnoreCase))
        {
            var rest = url["nfs://".Length..];
            var slash = rest.IndexOf('/', StringComparison.Ordinal);
            if (slash <= 0)
            {
                throw new FormatException($"url {url} has no server or no path; expected nfs://server[:port]/export/path");
            }
            (server, urlPort) = SplitHostPort(rest[..slash], url);
            path = rest[slash..];
        }
        else
        {
            // server:/path; an IPv6 server is written in brackets so its colons are not taken for the separator.
            var sep = url.StartsWith('[') ? url.IndexOf("]:", StringComparison.Ordinal) + 1 : url.IndexOf(':', StringComparison.Ordinal);
            if (sep <= 0 || sep + 1 >= url.Length || url[sep + 1] != '/')
            {
                throw new FormatException($"url {url} is not server:/export/path or nfs://server[:port]/export/path");
            }
            server = url[..sep];
            path = url[(sep + 1)..];
        }
        CheckServer(server, url);
        path = NormalizePath(path, url);
        if (urlPort is { } p && nfsPort is { } q && p != q)
        {
            throw new FormatException($"url {url} names NFS port {p} but nfsPort is {q}");
        }
        var nfs = urlPort ?? nfsPort;
        CheckPort(nfs, "nfsPort");
        CheckPort(mountPort, "mountPort");
        return new NfsLocation(server, path, nfs, mountPort);
    }

    private static (string Host, int? Port) SplitHostPort(string authority, string url)
    {
        if (authority.StartsWith('['))
        {
            var close = authority.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException($"url {url} has an unclosed [ in its server");
            }
            var tail = authority[(close + 1)..];
            return (authority[..(close + 1)], tail.Length == 0 ? null : ParsePort(tail.StartsWith(':') ? tail[1..] : tail, url));
        }
        var colon = authority.LastIndexOf(':');
        return colon < 0 ? (authority, null) : (authority[..colon], ParsePort(authority[(colon + 1)..], url));
    }

    private static int ParsePort(string text, string url) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var port) && port is > 0 and <= 65535
            ? port
            : throw new FormatException($"url {url} has an invalid port {text}");

    private static void CheckPort(int? port, string name)
    {
        if (port is { } p && p is <= 0 or > 65535)
        {
            throw new FormatException($"{name} {p} is not a port (1-65535)");
        }
    }

    private static void CheckServer(string server, string url)
    {
        if (!ServerPattern().IsMatch(server))
        {
            throw new FormatException($"url {url} has an invalid server name {server}");
        }
    }

    /// <summary>An absolute path with no empty, "." or ".." segment and no trailing slash ("/" stays "/").</summary>
    private static string NormalizePath(string path, string url)
    {
        if (!path.StartsWith('/'))
        {
            throw new FormatException($"url {url} must name an absolute path");
        }
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        foreach (var s in segments)
        {
            if (s is "." or ".." || s.Any(char.IsControl))
            {
                throw new FormatException($"url {url} has an invalid path segment");
            }
        }
        return "/" + string.Join('/', segments);
    }

    // A host name, an IPv4 address, or an IPv6 address in brackets.
    [GeneratedRegex(@"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]{0,252}[A-Za-z0-9])?)$")]
    private static partial Regex ServerPattern();
}
