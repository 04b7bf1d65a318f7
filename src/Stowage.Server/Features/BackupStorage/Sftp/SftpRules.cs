using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Persistence;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.BackupStorage.Sftp;

/// <summary>
/// SFTP-specific validation. Every value that reaches the storage host is checked here for shape and
/// shell-safety, in addition to being quoted by the driver.
/// </summary>
public static partial class SftpRules
{
    [GeneratedRegex("^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\\.?$")]
    private static partial Regex DnsName();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_.-]{0,31}\\$?$")]
    private static partial Regex UserName();

    [GeneratedRegex("^SHA256:[A-Za-z0-9+/]{43}=?$")]
    private static partial Regex Fingerprint();

    public static ParamSpec Hostname(bool required) => new("hostname") { Required = required, MaxLength = 255, EmptyString = false, Description = "IPv4/IPv6 address or DNS name of the storage host" };

    public static ParamSpec Username(bool required) => new("username") { Required = required, MaxLength = 255, EmptyString = false, Description = "SSH user on the storage host" };

    public static readonly ParamSpec Password = new("password") { MaxLength = 255, NoTrim = true, Secret = true, Description = "SSH password (or give sshKey)" };

    public static readonly ParamSpec SshKey = new("sshKey") { MaxLength = 16384, NoTrim = true, Secret = true, Description = "SSH private key (OpenSSH or PEM text) used instead of a password" };

    public static readonly ParamSpec SshKeyPassphrase = new("sshKeyPassphrase") { MaxLength = 255, NoTrim = true, Secret = true, Description = "passphrase of sshKey, if any" };

    public static ParamSpec SshPort(bool withDefault) => new("sshPort", ParamType.Int) { Min = 1, Max = 65535, Default = withDefault ? "22" : null, Description = "SSH port (default 22)" };

    public static readonly ParamSpec HostKeyFingerprint = new("hostKeyFingerprint") { MaxLength = 128, Description = "expected host key, OpenSSH form SHA256:...; without it the first key seen is pinned" };

    public static string CheckHostname(string hostname)
    {
        if (IPAddress.TryParse(hostname, out var ip) && (ip.AddressFamily == AddressFamily.InterNetworkV6 || hostname.Count(c => c == '.') == 3))
        {
            return hostname;
        }

        if (DnsName().IsMatch(hostname) && !hostname.All(c => char.IsDigit(c) || c == '.'))
        {
            return hostname.TrimEnd('.').ToLowerInvariant();
        }

        throw ApiException.Argument($"hostname[{hostname}] is neither an IPv4/IPv6 address nor a valid DNS name");
    }

    public static void CheckUsername(string username)
    {
        if (!UserName().IsMatch(username))
        {
            throw ApiException.Argument($"username[{username}] is not a valid user name: letters, digits, '_', '.', '-' and at most 32 characters");
        }
    }

    public static void CheckFingerprint(string? fp)
    {
        if (fp is not null && !Fingerprint().IsMatch(fp))
        {
            throw ApiException.Argument($"hostKeyFingerprint[{fp}] is not an OpenSSH SHA256 fingerprint like SHA256:<43 base64 characters>");
        }
    }

    /// <summary>Normalises an SFTP url (absolute directory) and refuses dangerous or unsafe ones.</summary>
    public static string NormalizeUrl(string url) => BackupStorageParams.NormalizeDirectoryUrl(url);

    /// <summary>Two backup storages on one host and port must not share or nest directories (<c>SYS.1006</c>).</summary>
    public static async Task CheckNoOverlapAsync(StowageDbContext db, string hostname, int port, string url, string? exceptUuid, CancellationToken ct)
    {
        var others = await db.SftpBackupStorages.AsNoTracking()
            .Where(s => s.Hostname == hostname && s.SshPort == port && s.Uuid != exceptUuid)
            .Join(db.BackupStorages, s => s.Uuid, b => b.Uuid, (s, b) => new { b.Uuid, b.Url })
            .ToListAsync(ct);
        var clash = others.FirstOrDefault(o => BackupStorageParams.Overlaps(o.Url, url));
        if (clash is not null)
        {
            throw ApiException.Operation($"the url[{url}] on {hostname}:{port} overlaps the url[{clash.Url}] of backup storage[uuid:{clash.Uuid}]; backup storages on one host must use separate directories");
        }
    }

    public static string HostSerialKey(string hostname, int port) => $"sftp-host-{hostname}:{port}";
}
