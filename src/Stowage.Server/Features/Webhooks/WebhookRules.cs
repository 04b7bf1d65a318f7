using System.Net;
using System.Net.NetworkInformation;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Stowage.Core.Errors;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Webhooks;

public static class WebhookDeliveryStatus
{
    public const string Pending = "Pending";
    public const string Delivered = "Delivered";
    public const string Failed = "Failed";
}

/// <summary>What a webhook may name, and how its body is signed.</summary>
public static class WebhookRules
{
    public const string SignatureHeader = "X-Stowage-Signature";
    public const string EventHeader = "X-Stowage-Event";
    public const string DeliveryHeader = "X-Stowage-Delivery";

    /// <summary>The event paths known today; a subscription may also name a later <c>/backup-storage/…</c> path.</summary>
    public static readonly IReadOnlyList<string> KnownEventTypes =
    [
        BackupStorageEvents.StatusChangePath, BackupStorageEvents.DisconnectedPath, BackupStorageEvents.CapacityCrossedPath, BackupStorageEvents.CapacityClearedPath,
        "/backup-storage/copy/corrupted", "/backup-storage/copy/repaired", "/backup-storage/copy/repair-failed",
    ];

    /// <summary><c>sha256=</c> and the lowercase hex HMAC-SHA256 of the body under the secret (GitHub's form).</summary>
    public static string Sign(string secret, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    public static IReadOnlyList<string> EventTypes(IReadOnlyList<string>? given)
    {
        var types = (given ?? []).Select(t => t.Trim()).Where(t => t.Length > 0).Distinct(StringComparer.Ordinal).ToList();
        foreach (var t in types)
        {
            if (!t.StartsWith("/backup-storage/", StringComparison.Ordinal) || t.Length > 128 || t.Any(c => char.IsWhiteSpace(c) || c == ','))
            {
                throw ApiException.Argument($"eventTypes entry[{t}] is not an event path; known ones: {string.Join(", ", KnownEventTypes)}");
            }
        }

        return types;
    }

    public static bool Matches(string eventTypes, string path) =>
        eventTypes.Length == 0 || eventTypes.Split(',').Contains(path, StringComparer.Ordinal);

    /// <summary>An absolute http(s) url that is not this server's own listening port (SYS.1007 otherwise).</summary>
    public static Uri CheckUrl(IServiceProvider services, string text)
    {
        if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || url.Scheme is not ("http" or "https") || string.IsNullOrEmpty(url.Host))
        {
            throw ApiException.Argument($"url[{text}] is not an absolute http:// or https:// url");
        }

        if (!string.IsNullOrEmpty(url.UserInfo))
        {
            throw ApiException.Argument("a webhook url takes no user:password; the signature header authenticates the sender");
        }

        var listening = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        if (PointsAtSelf(url, listening))
        {
            throw ApiException.Argument($"url[{text}] points at this server's own listening port; webhooks must go to another service");
        }

        return url;
    }

    /// <summary>
    /// True when <paramref name="url"/> is on a port this server listens on and its host is a loopback name or address,
    /// a listening host, or an address of this machine (no DNS lookup: a name other than localhost is not resolved).
    /// </summary>
    public static bool PointsAtSelf(Uri url, IEnumerable<string> listening)
    {
        var own = listening.Select(a => Uri.TryCreate(a.Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var u) ? u : null)
            .OfType<Uri>().ToList();
        if (!own.Any(u => u.Port == url.Port))
        {
            return false;
        }

        if (url.IsLoopback || own.Any(u => u.Port == url.Port && string.Equals(u.Host, url.Host, StringComparison.OrdinalIgnoreCase)))
        {
            return true;
        }

        return IPAddress.TryParse(url.Host.Trim('[', ']'), out var ip) && (ip.Equals(IPAddress.Any) || ip.Equals(IPAddress.IPv6Any) || LocalAddresses().Contains(ip));
    }

    private static HashSet<IPAddress> LocalAddresses()
    {
        try
        {
            return [.. NetworkInterface.GetAllNetworkInterfaces().SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address)];
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }
}
