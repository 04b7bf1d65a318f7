using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;

namespace Stowage.Bench;

public sealed record StorageBenchOptions(string ServerDll, long SizeMiB, int Repeat, string? Dir)
{
    public static StorageBenchOptions Parse(string[] args)
    {
        string? Get(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var dll = Get("--server") ?? throw new ArgumentException("--server <path to Stowage.Server.dll> is required");
        return new StorageBenchOptions(Path.GetFullPath(dll), long.Parse(Get("--size-mib") ?? "2048", CultureInfo.InvariantCulture),
            int.Parse(Get("--repeat") ?? "1", CultureInfo.InvariantCulture), Get("--dir"));
    }
}

/// <summary>
/// Issue 16: AddImage of a large image from a loopback HTTP server into a FileSystemBackupStorage, next to the
/// same work done the way ZStack's agent does it, in the same directory and one run: <c>curl -o</c>, then
/// <c>md5sum</c>, then <c>qemu-img info</c>, one after another. Stowage also computes sha256 and syncs the file.
/// Goal ≥ 1.0 × the pipeline; server peak RSS growth ≤ 100 MiB.
/// </summary>
public static class FsBench
{
    private const double Goal = 1.0;

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        var opt = StorageBenchOptions.Parse(args);
        var report = new Report();
        var loadBefore = ProcFs.LoadAverage();
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; load average {loadBefore}; image {opt.SizeMiB} MiB");
        var root = Path.Combine(opt.Dir ?? Path.GetTempPath(), "stowage-fsbench-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(root);
        WebApplication? http = null;
        try
        {
            var source = Path.Combine(root, "image.raw");
            await ImageBench.WriteSourceAsync(source, opt.SizeMiB * 1024 * 1024, ct);
            var bytes = new FileInfo(source).Length;
            (http, var url) = await ImageBench.StartHttpAsync(source, ct);
            var store = Path.Combine(root, "bs");
            Directory.CreateDirectory(store);
            Console.WriteLine($"source {bytes} bytes at {url}; backup storage directory {store}");

            await using var server = await ServerProcess.StartAsync(opt.ServerDll, ct);
            var pid = server.ProcessId;
            using var client = new ZStackHttp(server.BaseAddress);
            await client.LoginAsync(ct);
            await ImageBench.SetConfigAsync(client, "image", "deletionPolicy", "Direct", ct);
            var bs = await AddStorageAsync(client, store, ct);
            await ImageBench.WarmAsync(client, pid, url, bs, ImageBench.WarmRounds, ct);

            // Interleaved, so both see the same page cache and disk state.
            var pipeline = new List<double>();
            var synced = new List<double>();
            var adds = new List<(double Seconds, double Cpu, double RssMiB)>();
            for (var i = 0; i < opt.Repeat; i++)
            {
                var output = Path.Combine(store, "agent.raw");
                pipeline.Add(ImageBench.Timed(() =>
                {
                    Sshd.Run("curl", "-q", "-fsS", "-o", output, url);
                    Sshd.Run("md5sum", output);
                    Sshd.Run("qemu-img", "info", "--output=json", output);
                }));
                File.Delete(output);

                // The same with the file made durable, as Stowage makes it before it says Ready.
                synced.Add(ImageBench.Timed(() =>
                {
                    Sshd.Run("curl", "-q", "-fsS", "-o", output, url);
                    Sshd.Run("sync", "--", output);
                    Sshd.Run("md5sum", output);
                    Sshd.Run("qemu-img", "info", "--output=json", output);
                }));
                File.Delete(output);

                await Task.Delay(500, ct);
                var rssBefore = ProcFs.Status(pid, "VmRSS");
                ProcFs.ResetPeakRss(pid);
                var cpu = ProcFs.CpuSeconds(pid);
                var clock = Stopwatch.StartNew();
                var image = await ImageBench.AddImageAsync(client, url, bs, $"bench-{i}", ct);
                clock.Stop();
                adds.Add((clock.Elapsed.TotalSeconds, ProcFs.CpuSeconds(pid) - cpu, ProcFs.Status(pid, "VmHWM") - rssBefore));
                var (status, text) = await client.CallAsync(HttpMethod.Delete, $"zstack/v1/images/{image["uuid"]!.GetValue<string>()}", null, ct);
                if (status != HttpStatusCode.OK)
                {
                    throw new InvalidOperationException($"DeleteImage failed: {(int)status} {text}");
                }
            }

            string Rate(double seconds) => $"{bytes / seconds / 1048576:F0} MiB/s ({seconds:F2} s)";
            var reference = pipeline.Min();
            report.Add("curl -o, md5sum, qemu-img info into the directory (ZStack agent's way)", Rate(reference), null);
            report.Add("the same with sync after curl (durable, as Stowage's file is)", Rate(synced.Min()), null);
            var add = adds.MinBy(a => a.Seconds);
            var ratio = reference / add.Seconds;
            report.Add("Stowage AddImage into FileSystem (md5+sha256 while streaming, fsync)", $"{Rate(add.Seconds)}, server cpu {add.Cpu:F1} s", null);
            report.Add("  ratio to the agent pipeline", $"{ratio:F2}", ratio >= Goal ? $"PASS (>= {Goal})" : $"MISS (>= {Goal})");
            report.Add("  ratio to the pipeline with sync", $"{synced.Min() / add.Seconds:F2}", null);
            var rss = adds.Max(a => a.RssMiB);
            report.Add("  server peak RSS growth", $"{rss:F0} MiB", rss <= 100 ? "PASS (<= 100 MiB)" : "MISS (<= 100 MiB)");
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

            Directory.Delete(root, recursive: true);
        }
    }

    private static async Task<string> AddStorageAsync(ZStackHttp client, string dir, CancellationToken ct)
    {
        var body = new JsonObject { ["params"] = new JsonObject { ["name"] = "bench", ["url"] = dir } };
        var (status, text) = await client.CallAsync(HttpMethod.Post, "zstack/v1/backup-storage/file-system", body.ToJsonString(), ct);
        return status == HttpStatusCode.OK
            ? JsonNode.Parse(text)!["inventory"]!["uuid"]!.GetValue<string>()
            : throw new InvalidOperationException($"AddFileSystemBackupStorage failed: {(int)status} {text}");
    }
}
