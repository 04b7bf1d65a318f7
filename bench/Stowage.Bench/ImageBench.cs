using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Stowage.Bench;

public sealed record ImageOptions(string ServerDll, long SizeMiB, string User, int Repeat)
{
    public static ImageOptions Parse(string[] args)
    {
        string? Get(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var dll = Get("--server") ?? throw new ArgumentException("--server <path to Stowage.Server.dll> is required");
        return new ImageOptions(Path.GetFullPath(dll), long.Parse(Get("--size-mib") ?? "2048", CultureInfo.InvariantCulture),
            Get("--ssh-user") ?? "stowage-sftp-test", int.Parse(Get("--repeat") ?? "1", CultureInfo.InvariantCulture));
    }
}

/// <summary>
/// Issue 5: one large image from a loopback HTTP server into an SFTP backup storage on loopback, through both
/// data paths, next to the tools they are measured against in the same run: <c>curl -o</c> on the host (the
/// limit of the pull path) and OpenSSH <c>scp</c> to the host (the reference of the streamed path).
/// </summary>
public static class ImageBench
{
    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Console.Error.WriteLine("the image benchmark starts its own sshd and must run as root");
            return 2;
        }

        var opt = ImageOptions.Parse(args);
        var report = new Report();
        var loadBefore = ProcFs.LoadAverage();
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; load average {loadBefore}; image {opt.SizeMiB} MiB");
        var root = Directory.CreateTempSubdirectory("stowage-imgbench-").FullName;
        Sshd.Run("chmod", "755", root);
        Sshd? sshd = null;
        WebApplication? http = null;
        try
        {
            (sshd, var clientKey, var data) = await Sshd.StartForBenchAsync(root, opt.User, "stowage-image-bench", logCiphers: true);

            var source = Path.Combine(root, "image.raw");
            await WriteSourceAsync(source, opt.SizeMiB * 1024 * 1024, ct);
            var bytes = new FileInfo(source).Length;
            string sourceMd5;
            await using (var f = File.OpenRead(source))
            {
#pragma warning disable CA5351 // md5Sum is ZStack's file identity field, compared here, not a security measure
                sourceMd5 = Convert.ToHexStringLower(await System.Security.Cryptography.MD5.HashDataAsync(f, ct));
#pragma warning restore CA5351
            }

            (http, var url) = await StartHttpAsync(source, ct);
            Console.WriteLine($"source {bytes} bytes at {url}; sshd on 127.0.0.1:{sshd.Port}");
            var ssh = new SshReferences(clientKey, sshd.Port, opt.User);
            Console.WriteLine(SshReferences.Describe);

            var refs = new List<(string Name, double Seconds)>();
            for (var i = 0; i < opt.Repeat; i++)
            {
                refs.Add(("curl", Timed(() => RunAs(opt.User, "curl", "-q", "-fsS", "-o", Path.Combine(data, "curl.out"), url))));
                File.Delete(Path.Combine(data, "curl.out"));
                refs.Add(("curl+sync", Timed(() => RunAs(opt.User, "sh", "-c", "curl -q -fsS -o \"$1\" \"$2\" && sync -- \"$1\"", "sh", Path.Combine(data, "curl.out"), url))));
                File.Delete(Path.Combine(data, "curl.out"));
                // What ZStack's agent does for a host pull: download, then hash, then probe, one after another.
                refs.Add(("agent", Timed(() => RunAs(opt.User, "sh", "-c", "curl -q -fsS -o \"$1\" \"$2\" && md5sum \"$1\" >/dev/null && qemu-img info --output=json \"$1\" >/dev/null", "sh", Path.Combine(data, "curl.out"), url))));
                File.Delete(Path.Combine(data, "curl.out"));
                refs.Add(("scp", ssh.Scp(source, Path.Combine(data, "scp.out"))));
                File.Delete(Path.Combine(data, "scp.out"));
                refs.Add(("scp+md5", ssh.ScpThenMd5(source, Path.Combine(data, "scp.out"))));
                File.Delete(Path.Combine(data, "scp.out"));
            }

            Console.WriteLine($"ciphers the references negotiated: {sshd.TakeCiphers()}");
            await using var server = await ServerProcess.StartAsync(opt.ServerDll, ct);
            var pid = server.ProcessId;
            using var client = new ZStackHttp(server.BaseAddress);
            await client.LoginAsync(ct);
            await SetConfigAsync(client, "image", "deletionPolicy", "Direct", ct);
            var bs = await AddStorageAsync(client, sshd.Port, opt.User, await File.ReadAllTextAsync(clientKey, ct), Path.Combine(data, "bs"), ct);

            // Warm the add path up (JIT, pools, first SSH channel) with small images through both paths.
            foreach (var mode in new[] { "HostPull", "Stream" })
            {
                await SetConfigAsync(client, "image", "download.mode", mode, ct);
                await WarmAsync(client, pid, url, bs, WarmRounds, ct);
            }

            var runs = new List<(string Mode, double Seconds, double CpuSeconds, double RssAddedMiB, string Md5)>();
            for (var i = 0; i < opt.Repeat; i++)
            {
                foreach (var mode in new[] { "HostPull", "Stream" })
                {
                    await SetConfigAsync(client, "image", "download.mode", mode, ct);
                    await Task.Delay(500, ct);
                    var rssBefore = ProcFs.Status(pid, "VmRSS");
                    ProcFs.ResetPeakRss(pid);
                    var cpu = ProcFs.CpuSeconds(pid);
                    var clock = Stopwatch.StartNew();
                    var image = await AddImageAsync(client, url, bs, $"bench-{mode}-{i}", ct);
                    clock.Stop();
                    var md5 = image["md5Sum"]?.GetValue<string>();
                    if (md5 != sourceMd5)
                    {
                        throw new InvalidOperationException($"{mode}: the image's md5 {md5} is not the source's {sourceMd5}");
                    }

                    runs.Add((mode, clock.Elapsed.TotalSeconds, ProcFs.CpuSeconds(pid) - cpu, ProcFs.Status(pid, "VmHWM") - rssBefore,
                        image["md5Sum"]?.GetValue<string>() ?? "?"));
                    var (status, text) = await client.CallAsync(HttpMethod.Delete, $"zstack/v1/images/{image["uuid"]!.GetValue<string>()}", null, ct);
                    if (status != HttpStatusCode.OK)
                    {
                        throw new InvalidOperationException($"DeleteImage failed: {(int)status} {text}");
                    }
                }
            }

            foreach (var (name, seconds) in refs)
            {
                Console.WriteLine($"  run {name}: {bytes / seconds / 1048576:F0} MiB/s ({seconds:F2} s)");
            }

            foreach (var r in runs)
            {
                Console.WriteLine($"  run Stowage {r.Mode}: {bytes / r.Seconds / 1048576:F0} MiB/s ({r.Seconds:F2} s), server cpu {r.CpuSeconds:F1} s, RSS +{r.RssAddedMiB:F0} MiB");
            }

            double Best(string name) => refs.Where(r => r.Name == name).Min(r => r.Seconds);
            string Rate(double seconds) => $"{bytes / seconds / 1048576:F0} MiB/s ({seconds:F2} s)";
            Console.WriteLine($"ciphers Stowage's connections negotiated: {sshd.TakeCiphers()}");
            foreach (var name in new[] { "curl", "curl+sync", "agent", "scp", "scp+md5" })
            {
                report.Add(name switch
                {
                    "curl" => "curl -o on the host (pull limit)",
                    "curl+sync" => "curl -o + sync on the host",
                    "agent" => "curl -o, md5sum, qemu-img info on the host (ZStack agent's way)",
                    "scp" => $"OpenSSH scp -c {SshReferences.Cipher} to the host (stream reference)",
                    _ => "scp, then md5sum on the host",
                }, Rate(Best(name)), null);
            }

            foreach (var mode in new[] { "HostPull", "Stream" })
            {
                var best = runs.Where(r => r.Mode == mode).MinBy(r => r.Seconds);
                var (refName, goal) = mode == "HostPull" ? ("curl", 0.85) : ("scp", 0.9);
                var ratio = Best(refName) / best.Seconds;
                report.Add($"Stowage AddImage, {mode}", $"{Rate(best.Seconds)}, server cpu {best.CpuSeconds:F1} s, md5 {best.Md5[..Math.Min(8, best.Md5.Length)]}…", null);
                report.Add($"  ratio to {refName}", $"{ratio:F2} (to curl+sync {Best("curl+sync") / best.Seconds:F2})", ratio >= goal ? $"PASS (>= {goal})" : $"MISS (>= {goal})");
                if (mode == "Stream")
                {
                    var withMd5 = Best("scp+md5") / best.Seconds;
                    report.Add("  ratio to scp + md5sum", $"{withMd5:F2}", withMd5 >= 1.0 ? "PASS (>= 1.0)" : "MISS (>= 1.0)");
                }

                if (mode == "HostPull")
                {
                    var agent = Best("agent") / best.Seconds;
                    report.Add("  ratio to the agent pipeline", $"{agent:F2}", agent >= 1.0 ? "PASS (>= 1.0)" : "MISS (>= 1.0)");
                }

                var rss = runs.Where(r => r.Mode == mode).Max(r => r.RssAddedMiB);
                report.Add($"  server peak RSS growth, {mode}", $"{rss:F0} MiB", rss <= 150 ? "PASS (<= 150 MB)" : "MISS (<= 150 MB)");
            }

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
            try
            {
                Directory.Delete(root, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Sshd.Run("rm", "-rf", root);
            }
        }
    }

    /// <summary>Incompressible bytes (a fast xorshift stream), so no layer can cheat with compression.</summary>
    internal static async Task WriteSourceAsync(string path, long size, CancellationToken ct)
    {
        var buffer = new byte[4 << 20];
        ulong x = 0x9E3779B97F4A7C15;
        await using var file = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read, 1 << 20, true);
        for (long done = 0; done < size; done += buffer.Length)
        {
            x = Fill(buffer, x);
            await file.WriteAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, size - done)), ct);
        }

        Sshd.Run("chmod", "644", path);
    }

    private static ulong Fill(byte[] buffer, ulong x)
    {
        var words = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(buffer.AsSpan());
        for (var i = 0; i < words.Length; i++)
        {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            words[i] = x;
        }

        return x;
    }

    /// <summary>A static file server on a free loopback port (Kestrel, sendfile), GET and HEAD with Content-Length.</summary>
    internal static async Task<(WebApplication App, string Url)> StartHttpAsync(string file, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        var port = Sshd.FreePort();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        var app = builder.Build();
        app.MapMethods("/image.raw", ["GET", "HEAD"], async (HttpContext c) =>
        {
            c.Response.ContentType = "application/octet-stream";
            c.Response.ContentLength = new FileInfo(file).Length;
            if (c.Request.Method == "GET")
            {
                await c.Response.SendFileAsync(file, c.RequestAborted);
            }
        });
        var small = new byte[1 << 20];
        Fill(small, 7);
        app.MapGet("/small.raw", () => Results.Bytes(small, "application/octet-stream"));
        await app.StartAsync(ct);
        return (app, $"http://127.0.0.1:{port}/image.raw");
    }

    /// <summary>
    /// Brings a freshly started server to the state a server that has been running is in: <paramref name="rounds"/>
    /// small images added and deleted (the add path, the job and the API polling each run past the runtime's tier-1
    /// call count), then a wait until the server's CPU has gone quiet (the JIT's background recompilation finished).
    /// One small add used to leave about 3 s of JIT on the server's CPU for the first large add to compete with.
    /// </summary>
    internal const int WarmRounds = 40;

    internal static async Task WarmAsync(ZStackHttp client, int pid, string imageUrl, string bs, int rounds, CancellationToken ct)
    {
        var small = imageUrl.Replace("image.raw", "small.raw", StringComparison.Ordinal);
        for (var i = 0; i < rounds; i++)
        {
            var warm = await AddImageAsync(client, small, bs, $"warm-{i}", ct);
            await client.CallAsync(HttpMethod.Delete, $"zstack/v1/images/{warm["uuid"]!.GetValue<string>()}", null, ct);
        }

        await ProcFs.WaitIdleAsync(pid, ct);
    }

    internal static double Timed(Action action)
    {
        var clock = Stopwatch.StartNew();
        action();
        return clock.Elapsed.TotalSeconds;
    }

    private static void RunAs(string user, params string[] command) => Sshd.Run("runuser", ["-u", user, "--", .. command]);

    internal static async Task SetConfigAsync(ZStackHttp client, string category, string name, string value, CancellationToken ct)
    {
        var (status, text) = await client.CallAsync(HttpMethod.Put, $"zstack/v1/global-configurations/{category}/{name}/actions",
            new JsonObject { ["updateGlobalConfig"] = new JsonObject { ["value"] = value } }.ToJsonString(), ct);
        if (status != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"UpdateGlobalConfig {category}/{name}={value} failed: {(int)status} {text}");
        }
    }

    internal static async Task<string> AddStorageAsync(ZStackHttp client, int port, string user, string key, string url, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["params"] = new JsonObject { ["name"] = "bench", ["url"] = url, ["hostname"] = "127.0.0.1", ["sshPort"] = port, ["username"] = user, ["sshKey"] = key },
        };
        var (status, text) = await client.CallAsync(HttpMethod.Post, "zstack/v1/backup-storage/sftp", body.ToJsonString(), ct);
        return status == HttpStatusCode.OK
            ? JsonNode.Parse(text)!["inventory"]!["uuid"]!.GetValue<string>()
            : throw new InvalidOperationException($"AddSftpBackupStorage failed: {(int)status} {text}");
    }

    internal static async Task<JsonNode> AddImageAsync(ZStackHttp client, string url, string bs, string name, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["params"] = new JsonObject { ["name"] = name, ["url"] = url, ["format"] = "raw", ["backupStorageUuids"] = new JsonArray(bs) },
        };
        var (status, text) = await client.CallAsync(HttpMethod.Post, "zstack/v1/images", body.ToJsonString(), ct);
        return status == HttpStatusCode.OK
            ? JsonNode.Parse(text)!["inventory"]!
            : throw new InvalidOperationException($"AddImage failed: {(int)status} {text}");
    }
}
