using System.Diagnostics;
using System.Globalization;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>
/// The one place the local <c>ssh</c> command line is built, for export reads and for bulk writes. It is an
/// argument vector started without a shell, so nothing in it is parsed locally; the only shell text is the
/// remote script (<see cref="RemoteCommands"/> / <see cref="ImageCommands"/>, quoted there) and a constant
/// wrapper for ssh-agent.
/// </summary>
internal static class OpenSshCommand
{
    /// <summary>Exit status of the agent wrapper when <c>ssh-add</c> cannot load the key (format or passphrase).</summary>
    public const int ExitKeyNotLoaded = 254;

    /// <summary>AES-GCM first: with AES-NI it costs the least CPU on both ends (the same order SSH.NET is given).</summary>
    private const string Ciphers = "aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr";

    // ssh-add reads the key from the pipe (never a file) into the agent, which lives only as long as this
    // ssh; -t bounds how long the agent keeps it even if something goes wrong. The key is the first $1 bytes
    // of stdin: dd with bs=1 reads one byte per read(2), so it never takes a byte beyond the key from the pipe,
    // and ssh, exec'd in the same process, gets the rest of stdin (a write's data) untouched.
    private static readonly string AgentWrapper = $"n=$1; shift; dd bs=1 count=\"$n\" 2>/dev/null | ssh-add -q -t 120 - || exit {ExitKeyNotLoaded}; exec \"$@\"";

    /// <summary>The key text as it is written to the agent wrapper's stdin, ahead of any data.</summary>
    public static byte[] KeyBytes(SftpEndpoint endpoint) => System.Text.Encoding.UTF8.GetBytes(endpoint.Secret.Value.TrimEnd('\n') + "\n");

    /// <summary>
    /// The ssh (or ssh-agent wrapper) start info. <paramref name="stdinCarriesData"/>: the remote script reads
    /// ssh's stdin (a write); otherwise ssh gets <c>-n</c>. A key login always takes stdin for the key first.
    /// </summary>
    public static ProcessStartInfo Build(OpenSshTools tools, SftpEndpoint endpoint, string knownHostsFile, string? agentSocket, string remoteScript, TimeSpan connectTimeout, bool stdinCarriesData = false)
    {
        var usesKey = endpoint.Secret.Kind != StorageSecretKind.Password;
        var info = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = usesKey || stdinCarriesData,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var args = info.ArgumentList;
        if (usesKey)
        {
            info.FileName = tools.Agent ?? throw new InvalidOperationException("ssh-agent is needed for a private-key login");
            args.Add("-a");
            args.Add(agentSocket ?? throw new ArgumentNullException(nameof(agentSocket)));
            args.Add("/bin/sh");
            args.Add("-c");
            args.Add(AgentWrapper);
            args.Add("stowage-ssh");
            args.Add(KeyBytes(endpoint).Length.ToString(CultureInfo.InvariantCulture));
            args.Add(tools.Ssh);
        }
        else
        {
            info.FileName = tools.Ssh;
        }

        foreach (var a in new[] { "-F", "/dev/null", "-T", "-x", "-a", "-p", endpoint.Port.ToString(CultureInfo.InvariantCulture), "-l", endpoint.Username })
        {
            args.Add(a);
        }

        if (!stdinCarriesData)
        {
            args.Add("-n");
        }

        var options = new List<string>
        {
            "StrictHostKeyChecking=yes", "UpdateHostKeys=no", "CheckHostIP=no", "HostKeyAlias=" + ImageCommands.PeerAlias,
            "UserKnownHostsFile=" + knownHostsFile, "GlobalKnownHostsFile=/dev/null",
            "ConnectTimeout=" + Math.Max(1, (int)connectTimeout.TotalSeconds).ToString(CultureInfo.InvariantCulture),
            "ServerAliveInterval=15", "ServerAliveCountMax=3", "ConnectionAttempts=1",
            "LogLevel=ERROR", "Compression=no", "ControlMaster=no", "ControlPath=none", "Ciphers=" + Ciphers,
            "PermitLocalCommand=no", "ClearAllForwardings=yes",
        };
        if (usesKey)
        {
            options.AddRange(["PreferredAuthentications=publickey", "PasswordAuthentication=no", "KbdInteractiveAuthentication=no", "BatchMode=yes"]);
        }
        else
        {
            options.AddRange(["PreferredAuthentications=keyboard-interactive,password", "PubkeyAuthentication=no", "IdentityAgent=none", "NumberOfPasswordPrompts=1"]);
        }

        foreach (var option in options)
        {
            args.Add("-o");
            args.Add(option);
        }

        args.Add("--");
        args.Add(endpoint.Host);
        args.Add(remoteScript);

        // Only what the tools need: no inherited agent, and the secret only in the askpass script's environment.
        info.Environment.Remove("SSH_AUTH_SOCK");
        info.Environment.Remove("SSH_AGENT_PID");
        info.Environment.Remove("DISPLAY");
        info.Environment["SSH_ASKPASS"] = tools.AskpassPath;
        info.Environment["SSH_ASKPASS_REQUIRE"] = "force";
        var secret = usesKey ? endpoint.Secret.Passphrase : endpoint.Secret.Value;
        info.Environment[OpenSshTools.SecretVariable] = secret ?? string.Empty;
        return info;
    }

    /// <summary>
    /// What an exit status of ssh itself (or of the agent wrapper) means, from its stderr; null when the status
    /// is the remote script's own. 255 is ssh's (OpenSSH never passes a script's 255 on differently, and no
    /// script of Stowage's exits with it); a status above 128 with nothing from the host is a signal.
    /// </summary>
    public static Exception? Failure(int exit, string stderr, SftpEndpoint endpoint)
    {
        var last = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? string.Empty;
        return exit switch
        {
            ExitKeyNotLoaded => new OpenSshUnusableException("ssh-add cannot load the private key: " + last),
            255 when stderr.Contains("Host key verification failed", StringComparison.Ordinal) || stderr.Contains("HOST IDENTIFICATION HAS CHANGED", StringComparison.Ordinal) =>
                new StorageException(StorageFailure.HostKeyMismatch, $"host key of {endpoint.Display} is not the pinned one; ssh refused to connect"),
            255 when stderr.Contains("Permission denied", StringComparison.Ordinal) =>
                new StorageException(StorageFailure.AuthenticationFailed, $"SSH login as '{endpoint.Username}' to {endpoint.Display} was refused"),
            255 when stderr.Contains("timed out", StringComparison.OrdinalIgnoreCase) =>
                new StorageException(StorageFailure.Timeout, $"timed out connecting to SSH server {endpoint.Display}"),
            255 => new StorageException(StorageFailure.Unreachable, $"ssh to {endpoint.Display} failed: {(last.Length == 0 ? "the connection ended" : last)}"),
            _ => null,
        };
    }
}
