using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using Stowage.Core.Storage;
using Stowage.ObjectStore;

namespace Stowage.ObjectStore.Tests.Infrastructure;

/// <summary>
/// A real single-node Swift (with s3api) on 127.0.0.1, started once per test run by scripts/lib/swift-saio.sh
/// in a temporary directory and stopped and deleted after. Tests use their own container each, so they
/// never see each other's objects.
/// </summary>
public sealed class SwiftFixture : IAsyncLifetime
{
    private string _dir = "";

    public int ProxyPort { get; private set; }

    public string AuthUrl => $"http://127.0.0.1:{ProxyPort}/auth/v1.0";

    public string Endpoint => $"http://127.0.0.1:{ProxyPort}";

    public async Task InitializeAsync()
    {
        _dir = Path.Combine(Path.GetTempPath(), "stowage-swift-" + Guid.NewGuid().ToString("N")[..12]);
        var output = await ScriptAsync("start", _dir);
        var line = output.Split('\n').LastOrDefault(l => l.StartsWith("PROXY_PORT=", StringComparison.Ordinal))
            ?? throw new InvalidOperationException("swift-saio.sh printed no port:\n" + output);
        ProxyPort = int.Parse(line["PROXY_PORT=".Length..], System.Globalization.CultureInfo.InvariantCulture);
    }

    public async Task DisposeAsync() => await ScriptAsync("stop", _dir);

    /// <summary>SIGKILLs the proxy (the backends and memcached stay).</summary>
    public Task KillProxyAsync() => ScriptAsync("kill-proxy", _dir);

    /// <summary>Starts the proxy again and waits until it serves.</summary>
    public Task StartProxyAsync() => ScriptAsync("start-proxy", _dir);

    /// <summary>Empties memcached, where tempauth keeps its tokens: every issued token is refused from now on.</summary>
    public async Task FlushTokensAsync()
    {
        var port = int.Parse(await File.ReadAllTextAsync(Path.Combine(_dir, "run", "memcached.port")), System.Globalization.CultureInfo.InvariantCulture);
        using var tcp = new TcpClient();
        await tcp.ConnectAsync("127.0.0.1", port);
        var stream = tcp.GetStream();
        await stream.WriteAsync("flush_all\r\n"u8.ToArray());
        var buffer = new byte[64];
        var n = await stream.ReadAsync(buffer);
        Assert.StartsWith("OK", Encoding.ASCII.GetString(buffer, 0, n), StringComparison.Ordinal);
    }

    /// <summary>A Swift target on a fresh container (test:tester, the account's admin, not a reseller).</summary>
    public BackupStorageTarget Swift(string? container = null, string user = "test:tester", string key = "testing", long? totalCapacity = 10L << 30, int? segmentSize = null) =>
        new(Uuid(), container ?? Container(), Settings(
            (ObjectStoreSettings.AuthUrl, AuthUrl), (ObjectStoreSettings.Username, user),
            (ObjectStoreSettings.TotalCapacity, totalCapacity?.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            (ObjectStoreSettings.SegmentSize, segmentSize?.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            new StorageSecret(StorageSecretKind.Password, key));

    /// <summary>An S3 target (path style, SigV4) on a fresh bucket of the same account.</summary>
    public BackupStorageTarget S3(string? bucket = null, string accessKey = "test:tester", string secret = "testing", int? segmentSize = null) =>
        new(Uuid(), bucket ?? Container(), Settings(
            (ObjectStoreSettings.Endpoint, Endpoint), (ObjectStoreSettings.AccessKey, accessKey), (ObjectStoreSettings.Region, "us-east-1"),
            (ObjectStoreSettings.PathStyle, "true"), (ObjectStoreSettings.TotalCapacity, (10L << 30).ToString(System.Globalization.CultureInfo.InvariantCulture)),
            (ObjectStoreSettings.SegmentSize, segmentSize?.ToString(System.Globalization.CultureInfo.InvariantCulture))),
            new StorageSecret(StorageSecretKind.Password, secret));

    /// <summary>A fresh container name valid as an S3 bucket name too.</summary>
    public static string Container() => "t" + Guid.NewGuid().ToString("N")[..20];

    public static string Uuid() => Guid.NewGuid().ToString("N");

    private static Dictionary<string, string> Settings(params (string Name, string? Value)[] pairs) =>
        pairs.Where(p => p.Value is not null).ToDictionary(p => p.Name, p => p.Value!, StringComparer.Ordinal);

    private static async Task<string> ScriptAsync(string command, string dir)
    {
        var script = Path.Combine(RepoRoot(), "scripts", "lib", "swift-saio.sh");
        var psi = new ProcessStartInfo("bash", [script, command, dir]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var p = Process.Start(psi) ?? throw new InvalidOperationException("cannot start bash");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"swift-saio.sh {command} failed ({p.ExitCode}):\n{await stdout}\n{await stderr}");
        }

        return await stdout;
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Stowage.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("cannot find the repository root");
    }
}
