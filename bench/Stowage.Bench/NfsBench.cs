using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Stowage.Nfs.Tests.Infrastructure;

namespace Stowage.Bench;

public sealed record NfsBenchOptions(string ServerDll, long SizeMiB, int Repeat)
{
    public static NfsBenchOptions Parse(string[] args)
    {
        string? Get(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var dll = Get("--server") ?? throw new ArgumentException("--server <path to Stowage.Server.dll> is required");
        return new NfsBenchOptions(Path.GetFullPath(dll), long.Parse(Get("--size-mib") ?? "2048", CultureInfo.InvariantCulture),
            int.Parse(Get("--repeat") ?? "1", CultureInfo.InvariantCulture));
    }
}

/// <summary>
/// Issue 16: the NFS data paths next to libnfs's own <c>nfs-cp</c>, in one run against one NFS-Ganesha on
/// loopback (started like the tests start it): AddImage of a large image from a loopback HTTP server into an
/// NfsBackupStorage against <c>nfs-cp</c> of the same file to the same export, and the export download (curl
/// of the export URL) against <c>nfs-cp</c> from the export. Goals: both ≥ 0.8 × nfs-cp.
/// </summary>
public static class NfsBench
{
    private const double Goal = 0.8;

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Console.Error.WriteLine("the NFS benchmark starts NFS-Ganesha in its own namespaces and must run as root");
            return 2;
        }

        var opt = NfsBenchOptions.Parse(args);
        var report = new Report();
        var loadBefore = ProcFs.LoadAverage();
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; load average {loadBefore}; image {opt.SizeMiB} MiB");
        var root = Directory.CreateTempSubdirectory("stowage-nfsbench-").FullName;
        WebApplication? http = null;
        await using var ganesha = await GaneshaServer.StartAsync();
        try
        {
            var source = Path.Combine(root, "image.raw");
            await ImageBench.WriteSourceAsync(source, opt.SizeMiB * 1024 * 1024, ct);
            var bytes = new FileInfo(source).Length;
            (http, var url) = await ImageBench.StartHttpAsync(source, ct);
            var ports = $"nfsport={ganesha.NfsPort}&mountport={ganesha.MountPort}";
            string NfsUrl(string name) => $"nfs://127.0.0.1{GaneshaServer.Pseudo}/{name}?{ports}";
            Console.WriteLine($"source {bytes} bytes at {url}; NFS-Ganesha on 127.0.0.1:{ganesha.NfsPort} (mount {ganesha.MountPort})");

            // nfs-cp refuses to overwrite, so every copy gets a fresh name and is removed after.
            var refs = new List<(string Name, double Seconds)>();
            for (var i = 0; i < opt.Repeat; i++)
            {
                var name = $"nfs-cp-{i}.raw";
                refs.Add(("nfs-cp to", ImageBench.Timed(() => Run("nfs-cp", source, NfsUrl(name)))));
                var local = Path.Combine(root, $"down-{i}.raw");
                refs.Add(("nfs-cp from", ImageBench.Timed(() => Run("nfs-cp", NfsUrl(name), local))));
                File.Delete(local);
                File.Delete(Path.Combine(ganesha.ExportDir, name));
            }

            await using var server = await ServerProcess.StartAsync(opt.ServerDll, ct);
            var pid = server.ProcessId;
            using var client = new ZStackHttp(server.BaseAddress);
            await client.LoginAsync(ct);
            await ImageBench.SetConfigAsync(client, "image", "deletionPolicy", "Direct", ct);
            var bs = await AddStorageAsync(client, ganesha, ct);
            await ImageBench.WarmAsync(client, pid, url, bs, ImageBench.WarmRounds, ct);

            var adds = new List<(double Seconds, double Cpu, double RssMiB)>();
            var downloads = new List<double>();
            for (var i = 0; i < opt.Repeat; i++)
            {
                await Task.Delay(500, ct);
                var rssBefore = ProcFs.Status(pid, "VmRSS");
                ProcFs.ResetPeakRss(pid);
                var cpu = ProcFs.CpuSeconds(pid);
                var clock = Stopwatch.StartNew();
                var image = await ImageBench.AddImageAsync(client, url, bs, $"bench-{i}", ct);
                clock.Stop();
                adds.Add((clock.Elapsed.TotalSeconds, ProcFs.CpuSeconds(pid) - cpu, ProcFs.Status(pid, "VmHWM") - rssBefore));
                var imageUuid = image["uuid"]!.GetValue<string>();

                var (status, text) = await client.CallAsync(HttpMethod.Put, $"zstack/v1/backup-storage/{bs}/actions",
                    new JsonObject { ["exportImageFromBackupStorage"] = new JsonObject { ["imageUuid"] = imageUuid } }.ToJsonString(), ct);
                var exportUrl = status == HttpStatusCode.OK ? JsonNode.Parse(text)!["imageUrl"]!.GetValue<string>() : throw new InvalidOperationException($"export failed: {(int)status} {text}");
                var output = Path.Combine(root, $"export-{i}.raw");
                downloads.Add(ImageBench.Timed(() => Run("curl", "-q", "-fsS", "-o", output, exportUrl)));
                if (new FileInfo(output).Length != bytes)
                {
                    throw new InvalidOperationException($"the export download has {new FileInfo(output).Length} bytes, not {bytes}");
                }

                File.Delete(output);
                (status, text) = await client.CallAsync(HttpMethod.Delete, $"zstack/v1/images/{imageUuid}", null, ct);
                if (status != HttpStatusCode.OK)
                {
                    throw new InvalidOperationException($"DeleteImage failed: {(int)status} {text}");
                }
            }

            double Best(string name) => refs.Where(r => r.Name == name).Min(r => r.Seconds);
            string Rate(double seconds) => $"{bytes / seconds / 1048576:F0} MiB/s ({seconds:F2} s)";
            report.Add("nfs-cp to the export", Rate(Best("nfs-cp to")), null);
            report.Add("nfs-cp from the export", Rate(Best("nfs-cp from")), null);
            var add = adds.MinBy(a => a.Seconds);
            var addRatio = Best("nfs-cp to") / add.Seconds;
            report.Add("Stowage AddImage into NFS (streamed, md5+sha256, COMMIT)", $"{Rate(add.Seconds)}, server cpu {add.Cpu:F1} s", null);
            report.Add("  ratio to nfs-cp to the export", $"{addRatio:F2}", addRatio >= Goal ? $"PASS (>= {Goal})" : $"MISS (>= {Goal})");
            var rss = adds.Max(a => a.RssMiB);
            report.Add("  server peak RSS growth", $"{rss:F0} MiB", rss <= 100 ? "PASS (<= 100 MiB)" : "MISS (<= 100 MiB)");
            var down = downloads.Min();
            var downRatio = Best("nfs-cp from") / down;
            report.Add("Stowage export download from NFS, curl -o", Rate(down), null);
            report.Add("  ratio to nfs-cp from the export", $"{downRatio:F2}", downRatio >= Goal ? $"PASS (>= {Goal})" : $"MISS (>= {Goal})");
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

    private static async Task<string> AddStorageAsync(ZStackHttp client, GaneshaServer ganesha, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["params"] = new JsonObject { ["name"] = "bench", ["url"] = ganesha.Url("bs"), ["nfsPort"] = ganesha.NfsPort, ["mountPort"] = ganesha.MountPort },
        };
        var (status, text) = await client.CallAsync(HttpMethod.Post, "zstack/v1/backup-storage/nfs", body.ToJsonString(), ct);
        return status == HttpStatusCode.OK
            ? JsonNode.Parse(text)!["inventory"]!["uuid"]!.GetValue<string>()
            : throw new InvalidOperationException($"AddNfsBackupStorage failed: {(int)status} {text}");
    }

    private static void Run(string file, params string[] args) => Sshd.Run(file, args);
}
