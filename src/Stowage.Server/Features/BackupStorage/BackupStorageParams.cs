using System.Text.RegularExpressions;
using Stowage.Core.Errors;
using Stowage.Server.Features.Common;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.BackupStorage;

/// <summary>Parameters and checks every storage type shares: the backup storage uuid, directory urls.</summary>
public static partial class BackupStorageParams
{
    private static readonly string[] ForbiddenRoots = ["/dev", "/proc", "/sys"];

    // Letters, digits and a conservative set of punctuation: no quotes, spaces, $, `, ;, |, & or newlines.
    [GeneratedRegex("^/[A-Za-z0-9._/@+,:=~-]*$")]
    private static partial Regex SafePath();

    public static ParamSpec BsUuid(string name = "uuid") => new(name) { InPath = true, Required = true, ResourceType = BackupStorageQueries.ResourceType, Description = "backup storage uuid" };

    public static ParamSpec BsUuidLoose => new("uuid") { InPath = true, Required = true, Pattern = CommonPatterns.Uuid(), PatternText = "32 lowercase hex characters", Description = "backup storage uuid" };

    public static bool Overlaps(string a, string b) =>
        a == b || a.StartsWith(b + "/", StringComparison.Ordinal) || b.StartsWith(a + "/", StringComparison.Ordinal);

    /// <summary>Normalises a directory url (absolute path, as SFTP and the filesystem types take it) and refuses dangerous or unsafe ones.</summary>
    public static string NormalizeDirectoryUrl(string url)
    {
        if (!url.StartsWith('/'))
        {
            throw ApiException.Argument($"the url[{url}] is not an absolute path starting with '/'");
        }

        var segments = url.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (segments.Any(s => s is "." or ".."))
        {
            throw ApiException.Argument($"the url[{url}] must not contain '.' or '..' segments");
        }

        var normalized = "/" + string.Join('/', segments);
        if (normalized == "/")
        {
            throw ApiException.Argument("the url[/] is the root directory; give a directory dedicated to the backup storage");
        }

        if (ForbiddenRoots.Any(r => normalized == r || normalized.StartsWith(r + "/", StringComparison.Ordinal)))
        {
            throw ApiException.Argument($"the url[{url}] is under /dev, /proc or /sys, which cannot hold a backup storage");
        }

        if (!SafePath().IsMatch(normalized))
        {
            throw ApiException.Argument($"the url[{url}] contains characters that are not allowed; use letters, digits and ._/@+,:=~-");
        }

        return normalized;
    }
}
