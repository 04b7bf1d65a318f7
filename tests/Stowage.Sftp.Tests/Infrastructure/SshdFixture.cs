using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Stowage.Core.Storage;

namespace Stowage.Sftp.Tests.Infrastructure;

/// <summary>
/// A real OpenSSH sshd on 127.0.0.1 and a free port, with its own fresh host key and config in a temp
/// directory, accepting only the test user that scripts/test.sh prepares (STOWAGE_TEST_SSH_USER,
/// STOWAGE_TEST_SSH_PASSWORD, STOWAGE_TEST_SSH_KEY). Needs root, as sshd does for logging users in.
/// </summary>
public sealed class SshdFixture : IAsyncLifetime
{
    private const string Sshd = "/usr/sbin/sshd";
    private readonly ConcurrentQueue<string> _log = new();
    private Process? _sshd;
    private string _dir = "";

    public string Host => "127.0.0.1";

    public int Port { get; private set; }

    public string User { get; } = Env("STOWAGE_TEST_SSH_USER");

    public string Password { get; } = Env("STOWAGE_TEST_SSH_PASSWORD");

    public string PrivateKey { get; } = File.ReadAllText(Env("STOWAGE_TEST_SSH_KEY"));

    /// <summary>The current host key's fingerprint as <c>ssh-keygen -l -E sha256</c> prints it.</summary>
    public string HostKeyFingerprint { get; private set; } = "";

    /// <summary>A directory owned by the test user, for storage directories.</summary>
    public string StorageRoot { get; private set; } = "";

    public string Log => string.Join('\n', _log);

    /// <summary>The current host public key, OpenSSH one-line form (<c>type base64 comment</c>).</summary>
    public string HostPublicKey => File.ReadAllText(Path.Combine(_dir, "ssh_host_ed25519_key.pub")).Trim();

    /// <summary>The listening sshd process (0 when stopped).</summary>
    public int ListenerPid => _sshd is { HasExited: false } p ? p.Id : 0;

    /// <summary>
    /// Kills (SIGKILL) the listener and every sshd session process below it, but not the users' processes
    /// those sessions started: what a crashed or killed sshd leaves behind on a real host.
    /// </summary>
    public void KillSshdOnly()
    {
        var root = ListenerPid;
        if (root == 0)
        {
            return;
        }

        foreach (var pid in Descendants(root))
        {
            string comm;
            try
            {
                comm = File.ReadAllText($"/proc/{pid}/comm").Trim();
            }
            catch (IOException)
            {
                continue;
            }

            if (comm.StartsWith("sshd", StringComparison.Ordinal))
            {
                KillPid(pid);
            }
        }
    }

    /// <summary><paramref name="root"/> and every process below it, from /proc.</summary>
    private static List<int> Descendants(int root)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid))
            {
                try
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    parents[pid] = int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                }
            }
        }

        bool Below(int pid) => pid == root || (parents.TryGetValue(pid, out var pp) && pp > 1 && Below(pp));
        return [.. parents.Keys.Where(Below)];
    }

    private static void KillPid(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            p.Kill();
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
        }
    }

    public async Task InitializeAsync()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new InvalidOperationException("the SFTP tests start their own sshd and must run as root: use scripts/test.sh");
        }

        Directory.CreateDirectory("/run/sshd");
        _dir = Directory.CreateTempSubdirectory("stowage-sshd-").FullName;
        StorageRoot = Directory.CreateTempSubdirectory("stowage-sftp-data-").FullName;
        Proc.Run("chown", $"{User}:", StorageRoot);
        Proc.Run("chmod", "755", StorageRoot);
        Port = FreePort();
        NewHostKey();
        WriteConfig();
        await StartAsync();
    }

    /// <summary>Stops sshd (and every session it forked), gives it a new host key and starts it on the same port.</summary>
    public async Task RestartWithNewHostKeyAsync()
    {
        Stop();
        NewHostKey();
        await StartAsync();
    }

    /// <summary>
    /// Kills only the listener, gives the host a new key and starts a listener again on the same port: the sessions
    /// already open survive with the old key (what a host re-keyed under live connections looks like).
    /// </summary>
    public async Task RekeyUnderLiveSessionsAsync()
    {
        if (_sshd is { } p)
        {
            KillPid(p.Id);
            p.Dispose();
            _sshd = null;
        }

        NewHostKey();
        await StartAsync();
    }

    public Task DisposeAsync()
    {
        Stop();
        TryDelete(_dir);
        TryDelete(StorageRoot);
        return Task.CompletedTask;
    }

    /// <summary>A path under <see cref="StorageRoot"/> that does not exist yet.</summary>
    public string NewPath(string name = "bs") => Path.Combine(StorageRoot, $"{name}-{Guid.NewGuid():N}");

    /// <summary>Creates a directory owned by the test user.</summary>
    public string NewOwnedDir(string name = "bs")
    {
        var path = NewPath(name);
        Directory.CreateDirectory(path);
        Proc.Run("chown", $"{User}:", path);
        return path;
    }

    public BackupStorageTarget Target(string url, string? uuid = null, bool useKey = false, string? hostKey = null, string? password = null, int? port = null)
    {
        var settings = new Dictionary<string, string>
        {
            ["hostname"] = Host,
            ["sshPort"] = (port ?? Port).ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["username"] = User,
        };
        if (hostKey is not null)
        {
            settings["hostKey"] = hostKey;
        }

        var secret = useKey ? new StorageSecret(StorageSecretKind.PrivateKey, PrivateKey) : new StorageSecret(StorageSecretKind.Password, password ?? Password);
        return new BackupStorageTarget(uuid ?? Guid.NewGuid().ToString("N"), url, settings, secret);
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string Env(string name) => Environment.GetEnvironmentVariable(name)
        ?? throw new InvalidOperationException($"{name} is not set: run the tests with scripts/test.sh, which prepares the SFTP test user");

    private void NewHostKey()
    {
        var key = Path.Combine(_dir, "ssh_host_ed25519_key");
        File.Delete(key);
        File.Delete(key + ".pub");
        Proc.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "stowage-test-host", "-f", key);
        HostKeyFingerprint = Proc.Run("ssh-keygen", "-l", "-E", "sha256", "-f", key + ".pub").Split(' ')[1];
    }

    private void WriteConfig()
    {
        var sftpServer = File.Exists("/usr/lib/openssh/sftp-server") ? "/usr/lib/openssh/sftp-server" : "internal-sftp";
        File.WriteAllText(Path.Combine(_dir, "sshd_config"), $"""
            Port {Port}
            ListenAddress 127.0.0.1
            HostKey {_dir}/ssh_host_ed25519_key
            PidFile {_dir}/sshd.pid
            AuthorizedKeysFile .ssh/authorized_keys
            PubkeyAuthentication yes
            PasswordAuthentication yes
            KbdInteractiveAuthentication no
            PermitRootLogin no
            AllowUsers {User}
            UsePAM yes
            UseDNS no
            X11Forwarding no
            AllowTcpForwarding no
            PrintMotd no
            MaxStartups 200:30:400
            MaxSessions 64
            Subsystem sftp {sftpServer}

            """);
    }

    /// <summary>Starts sshd (again) with the current host key on the same port.</summary>
    public async Task StartAsync()
    {
        var psi = new ProcessStartInfo(Sshd) { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-D", "-e", "-f", Path.Combine(_dir, "sshd_config") })
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, e) => { if (e.Data is not null) { _log.Enqueue(e.Data); } };
        p.OutputDataReceived += (_, e) => { if (e.Data is not null) { _log.Enqueue(e.Data); } };
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        _sshd = p;

        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (p.HasExited)
            {
                throw new InvalidOperationException($"sshd exited with {p.ExitCode}:\n{Log}");
            }

            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, Port);
                var buffer = new byte[8];
                if (await tcp.GetStream().ReadAsync(buffer) > 0)
                {
                    return;
                }
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new InvalidOperationException($"sshd did not start listening on 127.0.0.1:{Port}:\n{Log}");
    }

    /// <summary>Stops sshd and every session it forked, as if the host went down.</summary>
    public void Stop()
    {
        if (_sshd is { } p)
        {
            try
            {
                // Every session process too, found before the listener dies (they would be re-parented after):
                // they hold the listener's stderr pipe, which WaitForExit waits to see closed. The listener
                // goes first, so a client reconnecting after its session died finds nobody to fork a new one.
                var below = Descendants(p.Id);
                KillPid(p.Id);
                below.ForEach(KillPid);
                p.Kill(entireProcessTree: true);
                p.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
                // already exited
            }

            p.Dispose();
            _sshd = null;
        }
    }

    private static void TryDelete(string dir)
    {
        try
        {
            if (dir.Length > 0)
            {
                Directory.Delete(dir, recursive: true);
            }
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
