using System.Globalization;

namespace Stowage.Sftp;

/// <summary>
/// The local OpenSSH client programs and this process's private directory for them (mode 0700 under the temp
/// directory): the askpass script, one known_hosts file and agent socket per export read or bulk write. Nothing secret is ever
/// written there; the password or passphrase reaches <c>ssh</c>/<c>ssh-add</c> only through the askpass
/// script's environment, which only this user (and root) can read.
/// </summary>
internal sealed class OpenSshTools : IDisposable
{
    public const string SecretVariable = "STOWAGE_SSH_SECRET";
    private const string DirPrefix = "stowage-ssh.";
    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    private readonly Lock _gate = new();
    private string? _dir;

    private OpenSshTools(string ssh, string? agent) => (Ssh, Agent) = (ssh, agent);

    public string Ssh { get; }

    /// <summary><c>ssh-agent</c>, needed for private-key logins (the key goes to the agent over a pipe, never to disk).</summary>
    public string? Agent { get; }

    /// <summary>The tools found on PATH, or null when there is no <c>ssh</c> (the driver then reads over SFTP and writes over SSH.NET).</summary>
    public static OpenSshTools? Find(string? path = null)
    {
        var ssh = Locate("ssh", path);
        return ssh is null ? null : new OpenSshTools(ssh, Locate("ssh-agent", path));
    }

    /// <summary>The private directory, created on first use; directories of dead Stowage processes are removed then.</summary>
    public string Directory
    {
        get
        {
            lock (_gate)
            {
                return _dir ??= Create();
            }
        }
    }

    public string AskpassPath => Path.Combine(Directory, "askpass");

    /// <summary>A fresh path in the private directory (known_hosts file, agent socket) for one ssh child.</summary>
    public string NewPath(string kind) => Path.Combine(Directory, kind + "." + Guid.NewGuid().ToString("N")[..16]);

    public void Dispose()
    {
        lock (_gate)
        {
            if (_dir is not null)
            {
                TryDelete(_dir);
                _dir = null;
            }
        }
    }

    private static string? Locate(string name, string? path)
    {
        if (OperatingSystem.IsWindows())
        {
            return null;
        }

        foreach (var dir in (path ?? Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate) && (File.GetUnixFileMode(candidate) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
            {
                return candidate;
            }
        }

        return null;
    }

    private static string Create()
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the OpenSSH export reader runs on Unix only");
        }

        var temp = Path.GetTempPath();
        RemoveStale(temp);
        var dir = Path.Combine(temp, DirPrefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "." + Guid.NewGuid().ToString("N")[..8]);
        System.IO.Directory.CreateDirectory(dir, Private);
        var askpass = Path.Combine(dir, "askpass");
        File.WriteAllText(askpass, "#!/bin/sh\nprintf '%s\\n' \"$" + SecretVariable + "\"\n");
        File.SetUnixFileMode(askpass, Private);
        return dir;
    }

    /// <summary>A server killed with SIGKILL leaves its directory (known_hosts files, agent sockets): removed when no process has its pid.</summary>
    private static void RemoveStale(string temp)
    {
        try
        {
            foreach (var dir in System.IO.Directory.EnumerateDirectories(temp, DirPrefix + "*"))
            {
                var parts = Path.GetFileName(dir).Split('.');
                if (parts.Length == 3 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var pid)
                    && pid != Environment.ProcessId && !System.IO.Directory.Exists("/proc/" + parts[1]))
                {
                    TryDelete(dir);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Another user's or a vanishing directory: not ours to clean.
        }
    }

    private static void TryDelete(string dir)
    {
        try
        {
            System.IO.Directory.Delete(dir, recursive: true);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Best effort: the next start removes it.
        }
    }
}

/// <summary>How the SFTP driver reads an exported file from its host.</summary>
public enum ExportTransport
{
    /// <summary>OpenSSH's <c>ssh</c> when installed, SFTP otherwise.</summary>
    Auto,

    /// <summary>Always SSH.NET's SFTP stream (no local process).</summary>
    Sftp,
}
