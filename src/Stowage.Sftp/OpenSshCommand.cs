using System.Diagnostics;
using System.Globalization;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>
/// The one place the local <c>ssh</c> command line of an export download is built. It is an argument
/// vector started without a shell, so nothing in it is parsed locally; the only shell text is the remote
/// script (<see cref="RemoteCommands.ReadFile"/>, quoted there) and a constant wrapper for ssh-agent.
/// </summary>
internal static class OpenSshCommand
{
    /// <summary>Exit status of the agent wrapper when <c>ssh-add</c> cannot load the key (format or passphrase).</summary>
    public const int ExitKeyNotLoaded = 254;

    /// <summary>AES-GCM first: with AES-NI it costs the least CPU on both ends (the same order SSH.NET is given).</summary>
    private const string Ciphers = "aes128-gcm@openssh.com,aes256-gcm@openssh.com,chacha20-poly1305@openssh.com,aes128-ctr,aes192-ctr,aes256-ctr";

    // ssh-add reads the key from the pipe (never a file) into the agent, which lives only as long as this
    // ssh; -t bounds how long the agent keeps it even if something goes wrong.
    private static readonly string AgentWrapper = $"ssh-add -q -t 120 - || exit {ExitKeyNotLoaded}; exec \"$@\"";

    public static ProcessStartInfo Build(OpenSshTools tools, SftpEndpoint endpoint, string knownHostsFile, string? agentSocket, string remoteScript, TimeSpan connectTimeout)
    {
        var usesKey = endpoint.Secret.Kind != StorageSecretKind.Password;
        var info = new ProcessStartInfo
        {
            UseShellExecute = false,
            RedirectStandardInput = usesKey,
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
            args.Add("stowage-export");
            args.Add(tools.Ssh);
        }
        else
        {
            info.FileName = tools.Ssh;
        }

        foreach (var a in new[] { "-F", "/dev/null", "-T", "-x", "-a", "-n", "-p", endpoint.Port.ToString(CultureInfo.InvariantCulture), "-l", endpoint.Username })
        {
            args.Add(a);
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
}
