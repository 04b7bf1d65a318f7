using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Stowage.Core.Errors;

namespace Stowage.Server.Features.Images;

/// <summary>
/// The one place that says what a source url may name. http(s): for the first url and for every redirect hop
/// alike, http(s) only after a redirect, never this server's own port on a loopback address, at most
/// <see cref="MaxRedirects"/> hops. Paths read on a host (<c>file:///</c> on the storage host, <c>sftp://</c> on
/// a host that is a backup storage's host): never inside a backup storage's directory (<see cref="DeniedHostPath"/>).
/// </summary>
public static class SourceRules
{
    /// <summary>curl's and browsers' limits are far higher; real mirrors and signed-url redirectors use one or two.</summary>
    public const int MaxRedirects = 5;

    /// <summary>A source on this server's own listening port would make Stowage download from its admin API.</summary>
    public static void RefuseOwnPort(IServiceProvider services, Uri source)
    {
        var addresses = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        var own = addresses.Select(x => Uri.TryCreate(x, UriKind.Absolute, out var u) ? u.Port : -1);
        if (source.Scheme is "http" or "https" && source.IsLoopback && own.Contains(source.Port))
        {
            throw ApiException.Argument($"url[{ImageRules.Redact(source.OriginalString)}] points at this server's own port");
        }
    }

    /// <summary>
    /// The url a <c>Location</c> header leads to from <paramref name="from"/>, checked like a first url; hop
    /// <paramref name="hop"/> counts from 1. SYS.1007 for another scheme, a malformed target, too many hops or
    /// this server's own port.
    /// </summary>
    public static Uri NextHop(IServiceProvider services, Uri from, Uri? location, int hop)
    {
        if (hop > MaxRedirects)
        {
            throw ApiException.Argument($"url[{ImageRules.Redact(from.OriginalString)}] redirects more than {MaxRedirects} times");
        }

        if (location is null)
        {
            throw ApiException.Argument($"url[{ImageRules.Redact(from.OriginalString)}] answers a redirect without a valid Location");
        }

        Uri next;
        try
        {
            next = location.IsAbsoluteUri ? location : new Uri(from, location);
        }
        catch (UriFormatException)
        {
            throw ApiException.Argument($"url[{ImageRules.Redact(from.OriginalString)}] redirects to a malformed location");
        }

        if (next.Scheme is not ("http" or "https") || string.IsNullOrEmpty(next.Host))
        {
            throw ApiException.Argument($"url[{ImageRules.Redact(from.OriginalString)}] redirects to {next.Scheme}://, only http:// and https:// redirects are followed");
        }

        // The same character rules as a first url: the hop is handed to curl on the storage host as well.
        ImageRules.ParseSource(next.AbsoluteUri);
        RefuseOwnPort(services, next);

        // Credentials given for the first host are not sent to another one (curl's rule as well).
        var sameOrigin = next.Scheme == from.Scheme && string.Equals(next.Host, from.Host, StringComparison.OrdinalIgnoreCase) && next.Port == from.Port;
        if (!sameOrigin || from.UserInfo.Length == 0)
        {
            return new UriBuilder(next) { UserName = string.Empty, Password = string.Empty }.Uri;
        }

        var info = from.UserInfo.Split(':', 2);
        return new UriBuilder(next) { UserName = Uri.UnescapeDataString(info[0]), Password = info.Length == 2 ? Uri.UnescapeDataString(info[1]) : string.Empty }.Uri;
    }

    /// <summary>
    /// Why a path on a storage host may not be a source, or null when it may. <paramref name="storageDirectories"/>
    /// are the directories of the backup storages on that host (as configured and, when known, as resolved there):
    /// their marker, index, other images and partial files are not sources. Both <c>file:///</c> and <c>sftp://</c>
    /// sources go through here.
    /// </summary>
    public static string? DeniedHostPath(string path, IEnumerable<string?> storageDirectories)
    {
        foreach (var dir in storageDirectories.Where(d => !string.IsNullOrEmpty(d)))
        {
            var root = dir!.TrimEnd('/') + "/";
            if (path.StartsWith(root, StringComparison.Ordinal) || path == dir!.TrimEnd('/'))
            {
                return $"lies inside the backup storage directory {dir}";
            }
        }

        return null;
    }

    public static bool IsRedirect(System.Net.HttpStatusCode status) => (int)status is 301 or 302 or 303 or 307 or 308;
}
