using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;

namespace Stowage.Bench;

/// <summary>
/// Issue 19: verification of one large image (2 GiB) on an SFTP backup storage on loopback, next to what the host's
/// own tools take for the same file: <c>sha256sum</c> then <c>md5sum</c>, one after another (target: Stowage at least
/// 0.9 × that rate; it runs both side by side on the host). Network bytes: Stowage's socket and file I/O during the
/// verification (<c>rchar</c>+<c>wchar</c> of /proc/&lt;pid&gt;/io, an upper bound on what it sent and received, SQLite
/// included), and the loopback interface counters (which also count other processes' loopback traffic).
/// </summary>
public static class VerifyBench
{
    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Console.Error.WriteLine("the verify benchmark starts its own sshd and must run as root");
            return 2;
        }

        var opt = ImageOptions.Parse(args);
        var report = new Report();
        var loadBefore = ProcFs.LoadAverage();
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; load average {loadBefore}; image {opt.SizeMiB} MiB");
        var root = Directory.CreateTempSubdirectory("stowage-verifybench-").FullName;
        Sshd.Run("chmod", "755", root);
        Sshd? sshd = null;
        WebApplication? http = null;
        try
        {
            (sshd, var clientKey, var data) = await Sshd.StartForBenchAsync(root, opt.User, "stowage-verify-bench", logCiphers: false);
            var source = Path.Combine(root, "image.raw");
            await ImageBench.WriteSourceAsync(source, opt.SizeMiB * 1024 * 1024, ct);
            var bytes = new FileInfo(source).Length;
            (http, var url) = await ImageBench.StartHttpAsync(source, ct);

            await using var server = await ServerProcess.StartAsync(opt.ServerDll, ct);
            using var client = new ZStackHttp(server.BaseAddress);
            await client.LoginAsync(ct);
            await ImageBench.SetConfigAsync(client, "image", "download.mode", "HostPull", ct);
            await ImageBench.SetConfigAsync(client, "backupStorage", "verify.rateLimit", "0", ct);
            await ImageBench.SetConfigAsync(client, "backupStorage", "verify.repair", "false", ct);
            var bs = await ImageBench.AddStorageAsync(client, sshd.Port, opt.User, await File.ReadAllTextAsync(clientKey, ct), Path.Combine(data, "bs"), ct);
            var image = await ImageBench.AddImageAsync(client, url, bs, "verify-bench", ct);
            var uuid = image["uuid"]!.GetValue<string>();
            var path = image["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>();
            File.Delete(source);
            Console.WriteLine($"image {uuid}: {bytes} bytes at {path}");

            // Warm-up: the first verification opens the exec channel and JITs the path.
            await VerifyAsync(client, uuid, ct);
            var refs = new List<double>();
            var runs = new List<(double Seconds, long IoBytes, long LoBytes)>();
            for (var i = 0; i < Math.Max(1, opt.Repeat); i++)
            {
                refs.Add(ImageBench.Timed(() => Sshd.Run("runuser", "-u", opt.User, "--", "sh", "-c",
                    "sha256sum -- \"$1\" >/dev/null && md5sum -- \"$1\" >/dev/null", "sh", path)));
                var io = IoBytes(server.ProcessId);
                var lo = LoopbackBytes();
                var clock = Stopwatch.StartNew();
                await VerifyAsync(client, uuid, ct);
                clock.Stop();
                runs.Add((clock.Elapsed.TotalSeconds, IoBytes(server.ProcessId) - io, LoopbackBytes() - lo));
            }

            string Rate(double seconds) => $"{bytes / seconds / 1048576:F0} MiB/s ({seconds:F2} s)";
            var reference = refs.Min();
            var best = runs.MinBy(r => r.Seconds);
            report.Add("sha256sum then md5sum on the host", Rate(reference), null);
            report.Add("Stowage VerifyImage (md5sum and sha256sum side by side on the host)", Rate(best.Seconds), null);
            var ratio = reference / best.Seconds;
            report.Add("  ratio to sha256sum + md5sum", $"{ratio:F2}", ratio >= 0.9 ? "PASS (>= 0.9)" : "MISS (>= 0.9)");
            var io1 = runs.Max(r => r.IoBytes);
            report.Add("  Stowage read+write syscall bytes during a verification (upper bound of its network bytes)",
                $"{io1 / 1024.0:F0} KiB", io1 < 1 << 20 ? "PASS (< 1 MiB)" : "MISS (< 1 MiB)");
            report.Add("  loopback rx+tx bytes during a verification (whole machine)", $"{runs.Min(r => r.LoBytes) / 1024.0:F0} KiB", null);
            report.Add("load average (1/5/15 min) before / after", $"{loadBefore} / {ProcFs.LoadAverage()}", null);
            report.Print();
            return report.AllPass ? 0 : 1;
        }
        finally
        {
            if (http is not null)
            {
                await http.DisposeAsync();
            }

            sshd?.Dispose();
            Sshd.Run("rm", "-rf", root);
        }
    }

    private static async Task VerifyAsync(ZStackHttp client, string uuid, CancellationToken ct)
    {
        var (status, text) = await client.CallAsync(HttpMethod.Put, $"zstack/v1/images/{uuid}/actions",
            new JsonObject { ["verifyImage"] = new JsonObject() }.ToJsonString(), ct);
        var outcome = status == HttpStatusCode.OK ? JsonNode.Parse(text)!["results"]![0]!["outcome"]!.GetValue<string>() : null;
        if (outcome != "Ok")
        {
            throw new InvalidOperationException($"VerifyImage failed: {(int)status} {text}");
        }
    }

    /// <summary>Bytes the process passed to read(2)/write(2)-style calls: sockets and files together.</summary>
    private static long IoBytes(int pid) => File.ReadAllLines($"/proc/{pid}/io")
        .Where(l => l.StartsWith("rchar:", StringComparison.Ordinal) || l.StartsWith("wchar:", StringComparison.Ordinal))
        .Sum(l => long.Parse(l[6..].Trim(), CultureInfo.InvariantCulture));

    private static long LoopbackBytes()
    {
        var line = File.ReadAllLines("/proc/net/dev").Select(l => l.Trim()).First(l => l.StartsWith("lo:", StringComparison.Ordinal));
        var f = line[3..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(f[0], CultureInfo.InvariantCulture) + long.Parse(f[8], CultureInfo.InvariantCulture);
    }
}
