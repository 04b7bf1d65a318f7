using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Stowage.Bench;

/// <summary>
/// A private OpenSSH sshd on 127.0.0.1 and a free port (own host key, config, pid and log in a temp
/// directory), as tests/Stowage.Sftp.Tests/Infrastructure/SshdFixture.cs starts it, with the limits
/// performance-anchors.md section 6 raises for many parallel connections. It accepts only
/// <c>user</c> with the keys of a benchmark-owned authorized_keys file, so the user's home (and a test run
/// that uses it at the same time) is left alone. Needs root.
/// </summary>
public sealed class Sshd : IDisposable
{
    private readonly ConcurrentQueue<string> _log = new();
    private readonly string _dir;
    private readonly string _user;
    private readonly string _authorizedKeys;
    private Process? _process;

    private readonly ConcurrentDictionary<string, int> _ciphers = new();

    /// <param name="logCiphers">Log at DEBUG1, which names the cipher every connection negotiated (see <see cref="TakeCiphers"/>).</param>
    /// <summary>
    /// The benches' common host: a fresh client key under <paramref name="root"/> authorized for <paramref name="user"/>,
    /// a <c>data</c> folder the user owns, and an sshd started for them. The caller disposes the sshd.
    /// </summary>
    public static async Task<(Sshd Sshd, string ClientKey, string Data)> StartForBenchAsync(string root, string user, string comment, bool logCiphers)
    {
        var clientKey = Path.Combine(root, "id_ed25519");
        Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", clientKey);
        var authorized = Path.Combine(root, "authorized_keys");
        File.Copy(clientKey + ".pub", authorized);
        Run("chmod", "644", authorized);
        var data = Path.Combine(root, "data");
        Directory.CreateDirectory(data);
        Run("chown", $"{user}:", data);
        var sshd = new Sshd(Path.Combine(root, "sshd"), user, authorized, logCiphers);
        try
        {
            await sshd.StartAsync();
        }
        catch
        {
            sshd.Dispose();
            throw;
        }

        return (sshd, clientKey, data);
    }

    public Sshd(string dir, string user, string authorizedKeys, bool logCiphers = false)
    {
        _dir = dir;
        _user = user;
        _authorizedKeys = authorizedKeys;
        Directory.CreateDirectory(dir);
        Port = FreePort();
        var key = Path.Combine(dir, "ssh_host_ed25519_key");
        Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "stowage-bench-host", "-f", key);
        var sftpServer = File.Exists("/usr/lib/openssh/sftp-server") ? "/usr/lib/openssh/sftp-server" : "internal-sftp";
        File.WriteAllText(Path.Combine(dir, "sshd_config"), $"""
            Port {Port}
            ListenAddress 127.0.0.1
            HostKey {key}
            PidFile {dir}/sshd.pid
            AuthorizedKeysFile {_authorizedKeys}
            StrictModes no
            PubkeyAuthentication yes
            PasswordAuthentication no
            KbdInteractiveAuthentication no
            PermitRootLogin no
            AllowUsers {_user}
            UsePAM yes
            UseDNS no
            X11Forwarding no
            AllowTcpForwarding no
            PrintMotd no
            MaxStartups 200:30:400
            MaxSessions 64
            Subsystem sftp {sftpServer}
            LogLevel {(logCiphers ? "DEBUG1" : "INFO")}

            """);
    }

    public int Port { get; }

    /// <summary>Pid of the listening sshd, or 0 when it is not running.</summary>
    public int Pid => _process is { HasExited: false } p ? p.Id : 0;

    public string LogTail => string.Join('\n', _log.TakeLast(20));

    public async Task StartAsync()
    {
        Directory.CreateDirectory("/run/sshd");
        var psi = new ProcessStartInfo("/usr/sbin/sshd") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-D", "-e", "-f", Path.Combine(_dir, "sshd_config") })
        {
            psi.ArgumentList.Add(a);
        }

        var p = Process.Start(psi)!;
        p.ErrorDataReceived += (_, e) => Keep(e.Data);
        p.OutputDataReceived += (_, e) => Keep(e.Data);
        p.BeginErrorReadLine();
        p.BeginOutputReadLine();
        _process = p;
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (p.HasExited)
            {
                throw new InvalidOperationException($"sshd exited with {p.ExitCode}:\n{LogTail}");
            }

            try
            {
                using var tcp = new TcpClient();
                await tcp.ConnectAsync(IPAddress.Loopback, Port);
                if (await tcp.GetStream().ReadAsync(new byte[8]) > 0)
                {
                    return;
                }
            }
            catch (SocketException)
            {
                await Task.Delay(50);
            }
        }

        throw new InvalidOperationException($"sshd did not listen on 127.0.0.1:{Port}:\n{LogTail}");
    }

    /// <summary>SIGKILL to the listener and every session it forked, as if the host died.</summary>
    public void Kill()
    {
        if (_process is { } p)
        {
            try
            {
                p.Kill(entireProcessTree: true);
                p.WaitForExit(10_000);
            }
            catch (InvalidOperationException)
            {
            }

            p.Dispose();
            _process = null;
        }
    }

    /// <summary>
    /// SIGKILL to the listener and then to every session it forked, without waiting for them to be reaped:
    /// the moment the host dies, for timing detection. <see cref="Kill"/> cleans up afterwards.
    /// </summary>
    public void KillNow()
    {
        var listener = Pid;
        if (listener == 0)
        {
            return;
        }

        var sessions = ProcFs.Children(listener);
        ProcFs.Kill(listener);
        sessions.ForEach(ProcFs.Kill);
    }

    /// <summary>SIGKILL to every session process (the listener stays): every open connection breaks at once.</summary>
    public int KillSessions()
    {
        var listener = Pid;
        if (listener == 0)
        {
            return 0;
        }

        var children = ProcFs.Children(listener);
        foreach (var pid in children)
        {
            ProcFs.Kill(pid);
        }

        return children.Count;
    }

    public void Dispose() => Kill();

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        var error = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed with {p.ExitCode.ToString(CultureInfo.InvariantCulture)}: {error}");
        }

        return output;
    }

    /// <summary>
    /// The ciphers the connections since the last call negotiated (client to server, from sshd's DEBUG1
    /// "kex: client->server cipher: …" line), with how many connections used each; empty without logCiphers.
    /// </summary>
    public string TakeCiphers()
    {
        var seen = _ciphers.ToArray();
        _ciphers.Clear();
        return seen.Length == 0 ? "none seen" : string.Join(", ", seen.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => $"{c.Key} ×{c.Value}"));
    }

    private void Keep(string? line)
    {
        if (line is null)
        {
            return;
        }

        const string Kex = "kex: client->server cipher: ";
        if (line.IndexOf(Kex, StringComparison.Ordinal) is var at and >= 0)
        {
            var cipher = line[(at + Kex.Length)..].Split(' ')[0];
            _ciphers.AddOrUpdate(cipher, 1, (_, n) => n + 1);
            return;
        }

        if (line.Contains("debug1:", StringComparison.Ordinal))
        {
            return;
        }

        _log.Enqueue(line);
        while (_log.Count > 200)
        {
            _log.TryDequeue(out _);
        }
    }
}

/// <summary>What /proc tells about a process: CPU seconds, resident memory, threads, children.</summary>
public static class ProcFs
{
    /// <summary>Clock ticks per second of the /proc/pid/stat times (USER_HZ): <c>getconf CLK_TCK</c>, read once; 100 if that fails.</summary>
    public static double TicksPerSecond { get; } = ReadClockTicks();

    /// <summary>
    /// Waits until the process used under 2 % of one core over half a second (at most 20 s): after a warm-up, the
    /// runtime's background JIT and the server's own clean-up finish before anything is timed.
    /// </summary>
    public static async Task WaitIdleAsync(int pid, CancellationToken ct)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            var before = CpuSeconds(pid);
            await Task.Delay(500, ct);
            if (CpuSeconds(pid) - before < 0.01)
            {
                return;
            }
        }
    }

    /// <summary>utime + stime of the process, in seconds.</summary>
    public static double CpuSeconds(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / TicksPerSecond;
    }

    /// <summary>
    /// CPU seconds of a process and all its live descendants, each with the CPU of the children it has
    /// reaped (cutime + cstime): the host-side cost of everything an sshd did, forks included.
    /// </summary>
    public static double TreeCpuSeconds(int pid)
    {
        var total = 0.0;
        foreach (var p in Children(pid).Append(pid))
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{p}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                total += fields.Skip(11).Take(4).Sum(f => long.Parse(f, CultureInfo.InvariantCulture)) / TicksPerSecond;
            }
            catch (IOException)
            {
                // Exited meanwhile.
            }
        }

        return total;
    }

    private static double ReadClockTicks()
    {
        try
        {
            return double.TryParse(Sshd.Run("getconf", "CLK_TCK").Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var hz) && hz > 0 ? hz : 100;
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return 100;
        }
    }

    /// <summary>A /proc/pid/status value in MiB (VmRSS, VmHWM) or as a number (Threads).</summary>
    public static double Status(int pid, string key)
    {
        foreach (var line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith(key + ":", StringComparison.Ordinal))
            {
                var parts = line[(key.Length + 1)..].Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
                var value = double.Parse(parts[0], CultureInfo.InvariantCulture);
                return parts.Length > 1 && parts[1] == "kB" ? value / 1024 : value;
            }
        }

        throw new InvalidOperationException($"no {key} in /proc/{pid}/status");
    }

    /// <summary>Resets VmHWM to the current RSS (write 5 to clear_refs; Linux 4.0+).</summary>
    public static void ResetPeakRss(int pid) => File.WriteAllText($"/proc/{pid}/clear_refs", "5");

    public static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    /// <summary>Every descendant of <paramref name="pid"/>.</summary>
    public static List<int> Children(int pid)
    {
        var parents = new Dictionary<int, int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var p))
            {
                try
                {
                    var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    parents[p] = int.Parse(fields[1], CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                }
            }
        }

        var result = new List<int>();
        var queue = new Queue<int>([pid]);
        while (queue.Count > 0)
        {
            var parent = queue.Dequeue();
            foreach (var (child, pp) in parents)
            {
                if (pp == parent)
                {
                    result.Add(child);
                    queue.Enqueue(child);
                }
            }
        }

        return result;
    }

    public static void Kill(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            p.Kill();
        }
        catch (ArgumentException)
        {
        }
        catch (InvalidOperationException)
        {
        }
    }
}
