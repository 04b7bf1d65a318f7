using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;

namespace Stowage.Bench;

public sealed record UploadOptions(string ServerDll, long[] SizesMiB, string User, int Repeat, string? Dir)
{
    public static UploadOptions Parse(string[] args)
    {
        string? Get(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        var dll = Get("--server") ?? throw new ArgumentException("--server <path to Stowage.Server.dll> is required");
        var sizes = (Get("--sizes-mib") ?? "1024,4096").Split(',').Select(x => long.Parse(x, CultureInfo.InvariantCulture)).ToArray();
        return new UploadOptions(Path.GetFullPath(dll), sizes, Get("--ssh-user") ?? "stowage-sftp-test",
            int.Parse(Get("--repeat") ?? "3", CultureInfo.InvariantCulture), Get("--dir"));
    }
}

/// <summary>
/// Issue 20: a resumable upload (<c>curl -T file &lt;uploadUrl&gt;</c>, timed until the answer says Ready) into an SFTP
/// backup storage on a private loopback sshd, next to OpenSSH <c>scp</c> of the same file to the same sshd and
/// <c>scp</c> followed by <c>md5sum</c> on the host, interleaved per repetition. Prints every run, the best of the
/// repeats, the server's peak RSS growth and CPU per GiB of the server, its children and sshd.
/// </summary>
public static class UploadBench
{
    private sealed record Run(long SizeMiB, string Kind, double Seconds, double Server, double Children, double Sshd, double RssMiB);

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Console.Error.WriteLine("the upload benchmark starts its own sshd and must run as root");
            return 2;
        }

        var opt = UploadOptions.Parse(args);
        var report = new Report();
        var loadBefore = ProcFs.LoadAverage();
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; load average {loadBefore}; sizes {string.Join(", ", opt.SizesMiB)} MiB, repeat {opt.Repeat}");
        var root = (opt.Dir is null ? Directory.CreateTempSubdirectory("stowage-upbench-") : Directory.CreateDirectory(Path.Combine(opt.Dir, "stowage-upbench-" + Guid.NewGuid().ToString("N")[..8]))).FullName;
        Sshd.Run("chmod", "755", root);
        Sshd? sshd = null;
        try
        {
            (sshd, var clientKey, var data) = await Sshd.StartForBenchAsync(root, opt.User, "stowage-upload-bench", logCiphers: true);
            var ssh = new SshReferences(clientKey, sshd.Port, opt.User);
            Console.WriteLine(SshReferences.Describe);
            Console.WriteLine("Stowage: AddImage upload://, then curl -q -fsS -T <file> <uploadUrl> (one PUT, no Content-Range), timed until its 200 answer (image Ready)");

            var sources = new Dictionary<long, (string Path, string Md5)>();
            foreach (var mib in opt.SizesMiB.Distinct())
            {
                var path = Path.Combine(root, $"source-{mib}.raw");
                await ImageBench.WriteSourceAsync(path, mib * 1024 * 1024, ct);
                sources[mib] = (path, Sshd.Run("md5sum", path).Split(' ')[0]);
            }

            await using var server = await ServerProcess.StartAsync(opt.ServerDll, ct);
            var pid = server.ProcessId;
            using var client = new ZStackHttp(server.BaseAddress);
            await client.LoginAsync(ct);
            await ImageBench.SetConfigAsync(client, "image", "deletionPolicy", "Direct", ct);
            var bs = await ImageBench.AddStorageAsync(client, sshd.Port, opt.User, await File.ReadAllTextAsync(clientKey, ct), Path.Combine(data, "bs"), ct);

            // Warm the upload path up (JIT past the tier-1 call counts, pools, the exec channel) with small files,
            // then let the server's CPU go quiet (see ImageBench.WarmAsync).
            var warm = Path.Combine(root, "warm.raw");
            await ImageBench.WriteSourceAsync(warm, 1 << 20, ct);
            for (var i = 0; i < ImageBench.WarmRounds; i++)
            {
                await UploadAsync(client, bs, warm, $"warm-{i}", ct);
            }

            await ProcFs.WaitIdleAsync(pid, ct);
            Console.WriteLine($"ciphers Stowage's connections negotiated: {sshd.TakeCiphers()}");

            var runs = new List<Run>();
            for (var i = 0; i < opt.Repeat; i++)
            {
                foreach (var mib in opt.SizesMiB)
                {
                    var (file, md5) = sources[mib];
                    var remote = Path.Combine(data, "scp.out");
                    runs.Add(Print(Measure(mib, "scp", pid, sshd, () => ssh.Scp(file, remote))));
                    File.Delete(remote);
                    runs.Add(Print(Measure(mib, "scp+md5", pid, sshd, () => ssh.ScpThenMd5(file, remote))));
                    File.Delete(remote);
                    Sshd.Run("sync");
                    await Task.Delay(500, ct);
                    var rssBefore = ProcFs.Status(pid, "VmRSS");
                    ProcFs.ResetPeakRss(pid);
                    string? got = null;
                    var run = Measure(mib, "upload", pid, sshd, () => got = UploadAsync(client, bs, file, $"bench-{mib}-{i}", ct).GetAwaiter().GetResult());
                    run = run with { RssMiB = ProcFs.Status(pid, "VmHWM") - rssBefore };
                    if (got != md5)
                    {
                        throw new InvalidOperationException($"the uploaded image's md5 {got} is not the source's {md5}");
                    }

                    runs.Add(Print(run));
                }
            }

            Console.WriteLine($"ciphers negotiated during the runs (references and Stowage): {sshd.TakeCiphers()}");
            foreach (var mib in opt.SizesMiB.Distinct())
            {
                var bytes = mib * 1048576.0;
                Run Best(string kind) => runs.Where(r => r.SizeMiB == mib && r.Kind == kind).MinBy(r => r.Seconds)!;
                string Rate(Run r) => $"{bytes / r.Seconds / 1048576:F0} MiB/s ({r.Seconds:F2} s)";
                var up = Best("upload");
                report.Add($"{mib} MiB: scp -c {SshReferences.Cipher}", Rate(Best("scp")), null);
                report.Add($"{mib} MiB: scp, then md5sum on the host", Rate(Best("scp+md5")), null);
                report.Add($"{mib} MiB: Stowage upload (curl -T) until Ready", Rate(up), null);
                var r1 = Best("scp").Seconds / up.Seconds;
                var r2 = Best("scp+md5").Seconds / up.Seconds;
                report.Add("  ratio to scp (best of each)", $"{r1:F2}; every run: {Ratios(runs, mib, "scp")}", r1 >= 0.75 ? "PASS (>= 0.75)" : "MISS (>= 0.75)");
                report.Add("  ratio to scp + md5sum", $"{r2:F2}; every run: {Ratios(runs, mib, "scp+md5")}", r2 >= 1.0 ? "PASS (>= 1.0)" : "MISS (>= 1.0)");
                var gib = bytes / 1073741824.0;
                report.Add("  CPU per GiB, upload: server / its children / sshd", $"{up.Server / gib:F2} / {up.Children / gib:F2} / {up.Sshd / gib:F2} s", null);
                var rss = runs.Where(r => r.SizeMiB == mib && r.Kind == "upload").Max(r => r.RssMiB);
                report.Add("  server peak RSS growth", $"{rss:F0} MiB", mib < 4096 ? null : rss <= 100 ? "PASS (<= 100 MiB)" : "MISS (<= 100 MiB)");
            }

            report.Add("load average (1/5/15 min) before / after", $"{loadBefore} / {ProcFs.LoadAverage()}", null);
            report.Print();
            return report.AllPass ? 0 : 1;
        }
        finally
        {
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

    private static string Ratios(List<Run> runs, long mib, string reference)
    {
        var refs = runs.Where(r => r.SizeMiB == mib && r.Kind == reference).ToList();
        var ups = runs.Where(r => r.SizeMiB == mib && r.Kind == "upload").ToList();
        return string.Join(' ', refs.Zip(ups, (a, b) => (a.Seconds / b.Seconds).ToString("F2", CultureInfo.InvariantCulture)));
    }

    private static Run Print(Run r)
    {
        var gib = r.SizeMiB / 1024.0;
        // sshd's CPU is sampled through the run (TreeCpuSampler), so sessions that start and end inside it count:
        // a reference's own, and the one of Stowage's OpenSSH write child.
        var cpu = r.Kind == "upload" ? $"; CPU per GiB server {r.Server / gib:F2}, children {r.Children / gib:F2}, sshd {r.Sshd / gib:F2} s" : $"; sshd CPU per GiB {r.Sshd / gib:F2} s";
        Console.WriteLine($"  run {r.SizeMiB} MiB {r.Kind}: {r.SizeMiB / r.Seconds:F0} MiB/s ({r.Seconds:F2} s){cpu}; load {ProcFs.LoadAverage()}");
        return r;
    }

    /// <summary>Times <paramref name="action"/> with the CPU of the server, the children it spawned and reaped, and the sshd tree.</summary>
    private static Run Measure(long mib, string kind, int server, Sshd sshd, Action action)
    {
        var s0 = ProcFs.CpuSeconds(server);
        var t0 = ProcFs.TreeCpuSeconds(server);
        using var host = new TreeCpuSampler(sshd.Pid);
        var sessions = ProcFs.Children(sshd.Pid).Count;
        var clock = Stopwatch.StartNew();
        action();
        clock.Stop();

        // A reference's sshd session ends just after its client: wait until the listener has reaped it, so its
        // CPU is in the listener's cutime (the server's pooled session stays and is counted alive).
        for (var i = 0; i < 50 && ProcFs.Children(sshd.Pid).Count > sessions; i++)
        {
            Thread.Sleep(50);
        }

        var s1 = ProcFs.CpuSeconds(server);
        var t1 = ProcFs.TreeCpuSeconds(server);
        return new Run(mib, kind, clock.Elapsed.TotalSeconds, s1 - s0, (t1 - s1) - (t0 - s0), host.Stop(), 0);
    }

    /// <summary>AddImage upload://, one curl -T of the whole file; answers the Ready image's md5 and deletes it.</summary>
    private static async Task<string> UploadAsync(ZStackHttp client, string bs, string file, string name, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["params"] = new JsonObject { ["name"] = name, ["url"] = $"upload://{name}.raw", ["format"] = "raw", ["backupStorageUuids"] = new JsonArray(bs) },
        };
        var (status, text) = await client.CallAsync(HttpMethod.Post, "zstack/v1/images", body.ToJsonString(), ct);
        if (status != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"AddImage upload:// failed: {(int)status} {text}");
        }

        var inventory = JsonNode.Parse(text)!["inventory"]!;
        var url = inventory["backupStorageRefs"]![0]!["uploadUrl"]!.GetValue<string>();
        var reply = Sshd.Run("curl", "-q", "-fsS", "-T", file, url);
        var image = JsonNode.Parse(reply)!["inventory"]!;
        if (image["status"]?.GetValue<string>() != "Ready")
        {
            throw new InvalidOperationException($"the upload answered {reply}");
        }

        (status, text) = await client.CallAsync(HttpMethod.Delete, $"zstack/v1/images/{inventory["uuid"]!.GetValue<string>()}", null, ct);
        return status == HttpStatusCode.OK ? image["md5Sum"]!.GetValue<string>() : throw new InvalidOperationException($"DeleteImage failed: {(int)status} {text}");
    }
}
