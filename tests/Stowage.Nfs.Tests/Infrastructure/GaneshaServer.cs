using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Stowage.Nfs.Tests.Infrastructure;

/// <summary>
/// A real NFS-Ganesha (NFSv3 only, VFS FSAL) serving a fresh temporary directory on 127.0.0.1 and two free
/// ports, with its config, log and state in that directory. NFSv3 needs rpcbind for Ganesha to register
/// with; rpcbind is kept off the network and away from the machine's own: it runs in a private network
/// namespace (its port 111 exists only there) and a private mount namespace with its own /run, so its
/// /run/rpcbind.sock is seen only by this Ganesha (started into the same mount namespace with nsenter).
/// Several runs on one machine therefore do not meet. Clients skip the portmapper: the ports are fixed.
/// Needs root (namespaces, and Ganesha's VFS FSAL opens by handle).
/// </summary>
public sealed partial class GaneshaServer : IAsyncDisposable
{
    private readonly string _dir;
    private Process? _rpcbind;
    private Process? _ganesha;

    private readonly long? _exportSize;

    private GaneshaServer(string dir, int nfsPort, int mountPort, long? exportSize)
    {
        _dir = dir;
        _exportSize = exportSize;
        NfsPort = nfsPort;
        MountPort = mountPort;
    }

    public const string Pseudo = "/export";

    public int NfsPort { get; }

    public int MountPort { get; }

    /// <summary>The exported directory on the local disk (the tests may look at it or prepare files in it directly).</summary>
    public string ExportDir => _exportSize is null || _rpcbind is null ? ExportPath : $"/proc/{_rpcbind.Id}/root{ExportPath}";

    private string ExportPath => Path.Combine(_dir, "export");

    /// <summary>The running Ganesha's pid (0 when it is not running).</summary>
    public int Pid => _ganesha is { HasExited: false } p ? p.Id : 0;

    public string LogTail => File.Exists(LogPath) ? string.Join('\n', File.ReadLines(LogPath).TakeLast(20)) : "";

    private string LogPath => Path.Combine(_dir, "ganesha.log");

    private string ConfPath => Path.Combine(_dir, "ganesha.conf");

    /// <param name="exportSize">
    /// When set, the export is a tmpfs of this size mounted in the server's private mount namespace (so it
    /// fills up for real and disappears with the server); <see cref="ExportDir"/> then names it as the
    /// server sees it, through /proc.
    /// </param>
    public static async Task<GaneshaServer> StartAsync(long? exportSize = null)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            throw new InvalidOperationException("the NFS tests start NFS-Ganesha in its own namespaces and must run as root: use scripts/test.sh");
        }
        foreach (var tool in new[] { "/usr/bin/ganesha.nfsd", "/sbin/rpcbind", "/usr/bin/unshare", "/usr/bin/nsenter" })
        {
            if (!File.Exists(tool))
            {
                throw new InvalidOperationException($"{tool} is missing: scripts/test.sh installs nfs-ganesha, nfs-ganesha-vfs and libnfs13");
            }
        }
        var dir = Directory.CreateTempSubdirectory("stowage-nfs-").FullName;
        var server = new GaneshaServer(dir, FreePort(), FreePort(), exportSize);
        try
        {
            Directory.CreateDirectory(server.ExportPath);
            Directory.CreateDirectory(Path.Combine(dir, "state"));
            server.WriteConfig();
            await server.StartRpcbindAsync();
            await server.StartGaneshaAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>The url of a path below the export, in the <c>server:/path</c> form.</summary>
    public string Url(string relative = "") => "127.0.0.1:" + Pseudo + (relative.Length == 0 ? "" : "/" + relative.TrimStart('/'));

    public NfsLocation Location(string relative = "") => NfsLocation.Parse(Url(relative), NfsPort, MountPort);

    /// <summary>SIGKILL: the server vanishes mid-call, its connections reset.</summary>
    public void Kill()
    {
        if (_ganesha is { HasExited: false } p)
        {
            p.Kill();
            p.WaitForExit();
        }
    }

    /// <summary>SIGSTOP: the server keeps its sockets open but answers nothing (the kernel still accepts connections).</summary>
    /// <summary>
    /// SIGSTOP, and waits (bounded) until every thread is stopped: the signal is delivered asynchronously, and a
    /// request sent right after kill(2) returned was once answered by a thread that had not stopped yet.
    /// </summary>
    public void Freeze()
    {
        Signal(SIGSTOP);
        var deadline = DateTime.UtcNow.AddSeconds(5);
        while (Pid is var pid and not 0 && !AllThreadsStopped(pid) && DateTime.UtcNow < deadline)
        {
            Thread.Sleep(5);
        }
    }

    private static bool AllThreadsStopped(int pid)
    {
        try
        {
            return Directory.EnumerateDirectories($"/proc/{pid}/task").All(t =>
            {
                // The state is the field after the parenthesised command name: "T" (stopped) or "t" (traced).
                var stat = File.ReadAllText(Path.Combine(t, "stat"));
                var state = stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[0];
                return state is "T" or "t";
            });
        }
        catch (IOException)
        {
            return false;
        }
    }

    public void Thaw() => Signal(SIGCONT);

    /// <summary>Starts Ganesha again on the same ports and export (after <see cref="Kill"/>), or does nothing when it runs.</summary>
    public async Task RestartAsync()
    {
        if (Pid != 0)
        {
            Thaw();
            return;
        }
        _ganesha?.Dispose();
        _ganesha = null;
        await StartGaneshaAsync();
    }

    private void WriteConfig()
    {
        // Attr_Expiration_Time = 0: tests change the export directory behind Ganesha's back; with its default
        // attribute cache it would keep serving deleted files. Graceless: no grace period after a crash-restart.
        var conf = $$"""
            NFS_CORE_PARAM {
                Bind_addr = 127.0.0.1;
                NFS_Port = {{NfsPort}};
                MNT_Port = {{MountPort}};
                Protocols = 3;
                Enable_NLM = false;
                Enable_RQUOTA = false;
                Enable_UDP = false;
                mount_path_pseudo = true;
            }
            NFSv4 { Graceless = true; RecoveryBackend = fs; RecoveryRoot = "{{Path.Combine(_dir, "state")}}"; }
            NFS_KRB5 { Active_krb5 = false; }
            EXPORT {
                Export_Id = 1;
                Path = "{{ExportPath}}";
                Pseudo = {{Pseudo}};
                Protocols = 3;
                Transports = TCP;
                Access_Type = RW;
                Squash = None;
                SecType = sys;
                Attr_Expiration_Time = 0;
                FSAL { Name = VFS; }
            }
            LOG { Default_Log_Level = EVENT; }
            """;
        File.WriteAllText(ConfPath, conf);
    }

    private async Task StartRpcbindAsync()
    {
        // unshare execs sh, which execs unshare, which execs rpcbind: the Process is rpcbind itself.
        // The export path is a fresh temp directory without shell-special characters; it is passed as $1 anyway.
        var exportMount = _exportSize is { } size
            ? string.Create(CultureInfo.InvariantCulture, $"mount -t tmpfs -o size={size},mode=755 tmpfs \"$1\" && ")
            : "";
        _rpcbind = Start("/usr/bin/unshare", "--mount", "--propagation", "private", "--", "/bin/sh", "-c",
            exportMount + "mount -t tmpfs -o size=1m,mode=755 tmpfs /run && mkdir -p /run/rpcbind && exec /usr/bin/unshare --net /sbin/rpcbind -f",
            "sh", ExportPath);
        var socket = $"/proc/{_rpcbind.Id}/root/run/rpcbind.sock";
        await WaitUntilAsync(() => File.Exists(socket), _rpcbind, "rpcbind");
    }

    private async Task StartGaneshaAsync()
    {
        // An empty or missing config would start Ganesha with defaults on every interface: never.
        if (new FileInfo(ConfPath).Length == 0)
        {
            throw new InvalidOperationException("ganesha.conf is empty");
        }
        var pidFile = Path.Combine(_dir, "ganesha.pid");
        _ganesha = Start("/usr/bin/nsenter", $"--mount=/proc/{_rpcbind!.Id}/ns/mnt", "/usr/bin/ganesha.nfsd",
            "-F", "-f", ConfPath, "-L", LogPath, "-p", pidFile, "-N", "NIV_EVENT");
        await WaitUntilAsync(() => Listening(NfsPort) && Listening(MountPort), _ganesha, "ganesha.nfsd");
    }

    private async Task WaitUntilAsync(Func<bool> ready, Process process, string name)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!ready())
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{name} exited with {process.ExitCode}: {LogTail}");
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new InvalidOperationException($"{name} did not become ready: {LogTail}");
            }
            await Task.Delay(20);
        }
    }

    private static bool Listening(int port)
    {
        using var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            s.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    private static Process Start(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }
        var p = Process.Start(psi) ?? throw new InvalidOperationException($"cannot start {file}");
        // Drain the pipes so the child never blocks on a full one.
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private void Signal(int signal)
    {
        if (Pid is var pid and not 0)
        {
            _ = kill(pid, signal);
        }
    }

    private static async Task StopAsync(Process? p)
    {
        if (p is null)
        {
            return;
        }
        if (!p.HasExited)
        {
            _ = kill(p.Id, SIGCONT);
            _ = kill(p.Id, SIGTERM);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await p.WaitForExitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                p.Kill();
                await p.WaitForExitAsync(CancellationToken.None);
            }
        }
        p.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync(_ganesha);
        _ganesha = null;
        // rpcbind's namespaces, its tmpfs /run and socket go with it.
        await StopAsync(_rpcbind);
        _rpcbind = null;
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private const int SIGCONT = 18, SIGSTOP = 19, SIGTERM = 15;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);
}
