using System.Globalization;

namespace Stowage.Bench;

/// <summary>
/// OpenSSH reference transfers to a benchmark's private sshd, in their best configuration on this machine
/// (performance-anchors.md section 5): the cipher Stowage negotiates (<see cref="Cipher"/>), no compression, the
/// benchmark's own key, and for <c>sftp</c> 64 requests of 256 KiB in flight. <see cref="Describe"/> prints it.
/// </summary>
public sealed class SshReferences(string key, int port, string user)
{
    /// <summary>What Stowage's SSH.NET connections and its OpenSSH children put first (SftpConnection, OpenSshCommand).</summary>
    public const string Cipher = "aes128-gcm@openssh.com";

    private string[] Options =>
    [
        "-i", key, "-c", Cipher, "-o", "Compression=no", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
        "-o", "LogLevel=ERROR", "-o", "BatchMode=yes", "-o", "ControlMaster=no", "-o", "ControlPath=none",
    ];

    public static string Describe =>
        $"OpenSSH references: -c {Cipher}, Compression=no, one connection each; sftp -R 64 -B 262144; scp in its default (SFTP) mode";

    /// <summary><c>scp</c> of a local file to <paramref name="remotePath"/> on the host.</summary>
    public double Scp(string localPath, string remotePath) =>
        ImageBench.Timed(() => Sshd.Run("scp", ["-q", "-P", port.ToString(CultureInfo.InvariantCulture), .. Options, localPath, $"{user}@127.0.0.1:{remotePath}"]));

    /// <summary>
    /// <c>scp</c>, then <c>md5sum</c> of the copy on the host, one after the other: the reference plus the work
    /// Stowage also does (its digests), done the usual way (ZStack's agent hashes after the copy).
    /// </summary>
    public double ScpThenMd5(string localPath, string remotePath) => ImageBench.Timed(() =>
    {
        Sshd.Run("scp", ["-q", "-P", port.ToString(CultureInfo.InvariantCulture), .. Options, localPath, $"{user}@127.0.0.1:{remotePath}"]);
        Sshd.Run("runuser", "-u", user, "--", "md5sum", remotePath);
    });
}
