using Microsoft.EntityFrameworkCore;
using Stowage.Core.Config;
using Stowage.Core.Errors;
using Stowage.Persistence;
using Stowage.Server.Features.GlobalConfigs;

namespace Stowage.Server.Features.Images;

/// <summary>
/// ZStack's black list of host paths an image may not be read from: system folders, any <c>.ssh</c> folder and every
/// backup storage's own directory, plus what an admin adds in <c>image/hostPath.denyList</c>. The one place that
/// judges a host path (file:/// sources today; other sources that name a host path reuse it).
/// </summary>
public static class HostPathDenyList
{
    /// <summary>Always refused, whatever the global config says.</summary>
    public static readonly IReadOnlyList<string> BuiltIn = ["/etc", "/proc", "/sys", "/dev", "/boot", "/root", "/run", "/var/run"];

    public static readonly GlobalConfigDefinition Config = new(
        "image", "hostPath.denyList",
        "Comma-separated absolute host paths (and everything below them) an image source may not name, in addition to the built-in ones: /etc, /proc, /sys, /dev, /boot, /root, /run, /var/run, any .ssh folder and every backup storage's directory",
        string.Empty, GlobalConfigType.String);

    /// <summary>The deny-list entry <paramref name="path"/> falls under, or null when it is allowed.</summary>
    public static string? Match(string path, IEnumerable<string> extra, IEnumerable<string> storageUrls)
    {
        if (path.Split('/').Contains(".ssh"))
        {
            return ".ssh";
        }

        return BuiltIn.Concat(extra).Concat(storageUrls)
            .Select(e => e.Trim().TrimEnd('/'))
            .Where(e => e.StartsWith('/') && e.Length > 1)
            .FirstOrDefault(e => path == e || path.StartsWith(e + "/", StringComparison.Ordinal));
    }

    /// <summary>Refuses (SYS.1007, ZStack's text) a host path on the deny list.</summary>
    public static async Task CheckAsync(GlobalConfigStore configs, StowageDbContextFactory dbFactory, string path, CancellationToken ct)
    {
        var extra = configs.Get(Config).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        await using var db = dbFactory.CreateDbContext();
        var urls = await db.BackupStorages.AsNoTracking().Select(b => b.Url).ToListAsync(ct);
        if (Match(path, extra, urls) is { } entry)
        {
            // One wording with the sftp:// check when the entry is a backup storage's own directory.
            var why = urls.Any(u => u.TrimEnd('/') == entry) ? $": it {SourceRules.DeniedHostPath(path, [entry])}" : string.Empty;
            throw ApiException.Argument($"image path [{path}] is in black list [{entry}]{why}");
        }
    }
}
