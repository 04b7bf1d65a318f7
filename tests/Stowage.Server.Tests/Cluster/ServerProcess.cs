using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.RegularExpressions;

namespace Stowage.Server.Tests.Cluster;

/// <summary>One check of a backup storage, as a server logged it (its own timestamp).</summary>
public sealed record CheckLine(DateTime At, string Node, string BsUuid);

/// <summary>
/// A Stowage server as a separate process (<c>dotnet Stowage.Server.dll</c>) on a free loopback port,
/// sharing a PostgreSQL database with others: what a cluster member is. Its console log (UTC timestamps)
/// is kept, and its checks of backup storages are parsed from it.
/// </summary>
public sealed partial class ServerProcess : IAsyncDisposable
{
    private readonly ConcurrentQueue<string> _log = new();
    private readonly string _postgres;
    private readonly string[] _extraArgs;
    private Process? _process;

    private ServerProcess(string name, string dataDir, string postgres, string[] extraArgs)
    {
        Name = name;
        DataDir = dataDir;
        _postgres = postgres;
        _extraArgs = extraArgs;
        Port = FreePort();
    }

    public string Name { get; }

    public string DataDir { get; }

    public int Port { get; private set; }

    public Uri BaseAddress => new($"http://127.0.0.1:{Port}");

    /// <summary>The node id the server keeps in its data directory.</summary>
    public string NodeId => File.ReadAllText(Path.Combine(DataDir, "node-id")).Trim();

    public bool Running => _process is { HasExited: false };

    public string Log => string.Join('\n', _log);

    public static async Task<ServerProcess> StartAsync(string name, string postgres, params string[] extraArgs)
    {
        var server = new ServerProcess(name, Directory.CreateTempSubdirectory("stowage-cluster-").FullName, postgres, extraArgs);
        try
        {
            await server.StartAgainAsync();
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts (again) on the same data directory, so with the same node id, on a new free port.</summary>
    public async Task StartAgainAsync()
    {
        Port = FreePort();
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])[ServerDll(), "--urls", BaseAddress.ToString().TrimEnd('/'), "--data-dir", DataDir, "--postgres", _postgres, .. _extraArgs])
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["Logging__LogLevel__Default"] = "Information";
        psi.Environment["Logging__LogLevel__Stowage.Server.Storage.BackupStorageTracker"] = "Debug";
        psi.Environment["Logging__Console__FormatterName"] = "simple";
        psi.Environment["Logging__Console__FormatterOptions__SingleLine"] = "true";
        psi.Environment["Logging__Console__FormatterOptions__UseUtcTimestamp"] = "true";
        psi.Environment["Logging__Console__FormatterOptions__TimestampFormat"] = "yyyy-MM-ddTHH:mm:ss.fffffff ";
        psi.Environment.Remove("STOWAGE_POSTGRES");
        var process = new Process { StartInfo = psi };
        process.OutputDataReceived += (_, e) => Keep(e.Data);
        process.ErrorDataReceived += (_, e) => Keep(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;

        using var http = new HttpClient { BaseAddress = BaseAddress, Timeout = TimeSpan.FromSeconds(2) };
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{Name} exited with {process.ExitCode}:\n{Log}");
            }

            try
            {
                using var r = await http.GetAsync("/zstack/v1/apis");
                if (r.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{Name} did not answer within 60 s:\n{Log}");
            }

            await Task.Delay(200);
        }
    }

    /// <summary>SIGKILL: the process gets no chance to leave the cluster or clean anything up.</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit(10_000);
        }
    }

    /// <summary>SIGTERM, as a service manager stops a server: it leaves the cluster on its way out.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } p)
        {
            using var kill = Process.Start("kill", ["-TERM", p.Id.ToString(CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await p.WaitForExitAsync(timeout.Token);
        }
    }

    /// <summary>Backup storage checks this server logged (pings and reconnects).</summary>
    public List<CheckLine> Checks(string nodeId) =>
        [.. _log.Select(l => CheckPattern().Match(l)).Where(m => m.Success)
            .Select(m => new CheckLine(DateTime.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal), nodeId, m.Groups[2].Value))];

    public async ValueTask DisposeAsync()
    {
        if (_process is { HasExited: false } p)
        {
            p.Kill(entireProcessTree: true);
            await p.WaitForExitAsync();
        }

        _process?.Dispose();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            _log.Enqueue(line);
        }
    }

    private static int FreePort()
    {
        using var l = new TcpListener(System.Net.IPAddress.Loopback, 0);
        l.Start();
        return ((System.Net.IPEndPoint)l.LocalEndpoint).Port;
    }

    private static string ServerDll()
    {
        // tests/Stowage.Server.Tests/bin/<Configuration>/net10.0/ → src/Stowage.Server/bin/<Configuration>/net10.0/Stowage.Server.dll
        var baseDir = new DirectoryInfo(AppContext.BaseDirectory);
        var tfm = baseDir.Name;
        var configuration = baseDir.Parent!.Name;
        var root = baseDir;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Stowage.sln")))
        {
            root = root.Parent;
        }

        var dll = Path.Combine(root?.FullName ?? throw new InvalidOperationException("repository root not found"), "src", "Stowage.Server", "bin", configuration, tfm, "Stowage.Server.dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException($"{dll} is missing: build src/Stowage.Server first");
    }

    [GeneratedRegex(@"^(\d{4}-\d\d-\d\dT[\d:.]+) dbug: Stowage\.Server\.Storage\.BackupStorageTracker\[\d+\] checking backup storage ([0-9a-f]{32}) ")]
    private static partial Regex CheckPattern();
}
