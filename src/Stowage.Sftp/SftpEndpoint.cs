using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>Where and as whom to log in, read from a <see cref="BackupStorageTarget"/>'s settings and secret.</summary>
internal sealed record SftpEndpoint(string Host, int Port, string Username, string? PinnedHostKey, StorageSecret Secret)
{
    public const int DefaultPort = 22;

    /// <summary><c>host:port</c> for messages.</summary>
    public string Display => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    /// <summary>
    /// Identifies the login (host, port, user, credential) without revealing it, so a pooled connection is
    /// reused only for the same login. The pinned host key is left out: it is checked separately.
    /// </summary>
    public string PoolKey
    {
        get
        {
            var text = string.Join('\0', Host, Port.ToString(CultureInfo.InvariantCulture), Username, Secret.Kind.ToString(), Secret.Value, Secret.Passphrase ?? string.Empty);
            return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
        }
    }

    public static SftpEndpoint From(BackupStorageTarget target)
    {
        var host = target.Setting(SftpSettings.Hostname)?.Trim();
        if (string.IsNullOrEmpty(host) || host.Any(char.IsWhiteSpace))
        {
            throw new StorageException(StorageFailure.BadLocation, $"SFTP backup storage {target.Uuid} has no valid '{SftpSettings.Hostname}' setting");
        }

        var port = DefaultPort;
        var portText = target.Setting(SftpSettings.SshPort);
        if (!string.IsNullOrWhiteSpace(portText)
            && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            throw new StorageException(StorageFailure.BadLocation, $"SFTP backup storage {target.Uuid} has an invalid '{SftpSettings.SshPort}' setting: {portText}");
        }

        var username = target.Setting(SftpSettings.Username);
        if (string.IsNullOrEmpty(username))
        {
            throw new StorageException(StorageFailure.AuthenticationFailed, $"SFTP backup storage {target.Uuid} has no '{SftpSettings.Username}' setting");
        }

        var secret = target.Secret;
        if (secret is null || string.IsNullOrEmpty(secret.Value))
        {
            throw new StorageException(StorageFailure.AuthenticationFailed, $"SFTP backup storage {target.Uuid} has no password or private key");
        }

        var pinned = target.Setting(SftpSettings.HostKey);
        return new SftpEndpoint(host, port, username, string.IsNullOrWhiteSpace(pinned) ? null : HostKeys.Normalize(pinned), secret);
    }
}

/// <summary>Setting names of an SFTP backup storage.</summary>
public static class SftpSettings
{
    public const string Hostname = "hostname";
    public const string SshPort = "sshPort";
    public const string Username = "username";

    /// <summary>Pinned host key fingerprint, OpenSSH form <c>SHA256:&lt;base64 without padding&gt;</c>.</summary>
    public const string HostKey = "hostKey";
}

/// <summary>Host key fingerprints in OpenSSH's form, <c>SHA256:&lt;base64 without padding&gt;</c>.</summary>
public static class HostKeys
{
    private const string Prefix = "SHA256:";

    /// <summary>Accepts a fingerprint with or without the <c>SHA256:</c> prefix and with or without padding.</summary>
    public static string Normalize(string fingerprint)
    {
        var text = fingerprint.Trim();
        if (text.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase))
        {
            text = text[Prefix.Length..];
        }

        return Prefix + text.TrimEnd('=');
    }

    public static bool Same(string a, string b) => string.Equals(Normalize(a), Normalize(b), StringComparison.Ordinal);
}
