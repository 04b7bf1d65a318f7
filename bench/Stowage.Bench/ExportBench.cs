using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Renci.SshNet;

namespace Stowage.Bench;

/// <summary>
/// Issue 6: one large image exported over HTTP by Stowage (curl, and an HttpClient reading 1 MiB at a time,
/// through the export URL) next to OpenSSH fetching the same file from the same sshd with the same cipher
/// (<c>sftp -R 64 -B 262144 get</c>, <c>scp</c>, and <c>ssh cat &gt; /dev/null</c> as the ceiling of a read
/// through an ssh child), plus SSH.NET's SFTP stream (the server's fallback) measured in this process, and the
/// CPU the server and its children (the ssh per download) spend per GB. Every run is printed; the table shows
/// the best of the repeats.
/// </summary>
public static class ExportBench
{
    private const string Cipher = "aes128-gcm@openssh.com";

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Console.Error.WriteLine("the export benchmark starts its own sshd and must run as root");
            return 2;
        }

        var opt = ImageOptions.Parse(args);
        var report = new Report();
        var loadBefore = ProcFs.LoadAverage();
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, .NET {Environment.Version}; load average {loadBefore}; image {opt.SizeMiB} MiB; CLK_TCK {ProcFs.TicksPerSecond}");
        var root = Directory.CreateTempSubdirectory("stowage-expbench-").FullName;
        Sshd.Run("chmod", "755", root);
        Sshd? sshd = null;
        WebApplication? http = null;
        try
        {
            var key = Path.Combine(root, "id_ed25519");
            Sshd.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "stowage-export-bench", "-f", key);
            var authorized = Path.Combine(root, "authorized_keys");
            File.Copy(key + ".pub", authorized);
            Sshd.Run("chmod", "644", authorized);
            var data = Path.Combine(root, "data");
            var outDir = Path.Combine(root, "out");
            Directory.CreateDirectory(data);
            Directory.CreateDirectory(outDir);
            Sshd.Run("chown", $"{opt.User}:", data);
            sshd = new Sshd(Path.Combine(root, "sshd"), opt.User, authorized);
            await sshd.StartAsync();
            var source = Path.Combine(root, "image.raw");
            await ImageBench.WriteSourceAsync(source, opt.SizeMiB * 1024 * 1024, ct);
            var bytes = new FileInfo(source).Length;
            (http, var url) = await ImageBench.StartHttpAsync(source, ct);

            await using var server = await ServerProcess.StartAsync(opt.ServerDll, ct);
            var pid = server.ProcessId;
            using var client = new ZStackHttp(server.BaseAddress);
            await client.LoginAsync(ct);
            await ImageBench.SetConfigAsync(client, "image", "download.mode", "HostPull", ct);
            var bs = await ImageBench.AddStorageAsync(client, sshd.Port, opt.User, await File.ReadAllTextAsync(key, ct), Path.Combine(data, "bs"), ct);
            var image = await ImageBench.AddImageAsync(client, url, bs, "export-bench", ct);
            var md5 = image["md5Sum"]!.GetValue<string>();
            var installPath = image["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>();
            var (status, text) = await client.CallAsync(HttpMethod.Put, $"zstack/v1/backup-storage/{bs}/actions",
                new JsonObject { ["exportImageFromBackupStorage"] = new JsonObject { ["imageUuid"] = image["uuid"]!.GetValue<string>() } }.ToJsonString(), ct);
            var exportUrl = status == HttpStatusCode.OK ? JsonNode.Parse(text)!["imageUrl"]!.GetValue<string>() : throw new InvalidOperationException($"export failed: {(int)status} {text}");
            Console.WriteLine($"image {bytes} bytes at {installPath}; sshd on 127.0.0.1:{sshd.Port}; export {exportUrl[..exportUrl.IndexOf("/exports/", StringComparison.Ordinal)]}/exports/…");

            var port = sshd.Port.ToString(CultureInfo.InvariantCulture);
            string[] sshOpts = ["-i", key, "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR", "-o", "Ciphers=" + Cipher];
            var batch = Path.Combine(root, "get.batch");
            var output = Path.Combine(outDir, "down.raw");
            await File.WriteAllTextAsync(batch, $"get {installPath} {output}\n", ct);
            Sshd.Run("curl", "-q", "-fsS", "-r", "0-1048575", "-o", output, exportUrl); // warm-up: JIT, SFTP session
            var results = new Dictionary<string, List<double>>();
            var rssGrowth = 0.0;
            var serverCpu = new List<double>();
            var transport = "?";
            for (var i = 0; i < opt.Repeat; i++)
            {
                Add(results, "sftp", Fetch(output, () => Sshd.Run("sftp", ["-q", "-R", "64", "-B", "262144", "-P", port, .. sshOpts, "-b", batch, $"{opt.User}@127.0.0.1"])));
                Add(results, "scp", Fetch(output, () => Sshd.Run("scp", ["-q", "-P", port, .. sshOpts, $"{opt.User}@127.0.0.1:{installPath}", output])));
                Add(results, "ssh-cat", Fetch(output, () => ExportBenchClients.SshCat(port, sshOpts, opt.User, installPath)));
                var rssBefore = ProcFs.Status(pid, "VmRSS");
                ProcFs.ResetPeakRss(pid);
                // utime+stime+cutime+cstime of the server (/proc/pid/stat fields 14-17: the ssh children it
                // reaped count), plus any child still running at the time of the sample.
                var cpu = ProcFs.TreeCpuSeconds(pid);
                using (var children = ExportBenchClients.WatchChildren(pid))
                {
                    Add(results, "curl", Fetch(output, () => Sshd.Run("curl", "-q", "-fsS", "-o", output, exportUrl)));
                    transport = children.Seen.ContainsKey("ssh") ? "read through an ssh child" : "read over SSH.NET SFTP";
                }

                serverCpu.Add((ProcFs.TreeCpuSeconds(pid) - cpu) / (bytes / 1e9));
                rssGrowth = Math.Max(rssGrowth, ProcFs.Status(pid, "VmHWM") - rssBefore);
                CheckMd5(output, md5, "curl");
                Add(results, "http-1m", await FetchAsync(output, () => ExportBenchClients.HttpClientAsync(exportUrl, output, ct), md5));

                var info = SshNetInfo(sshd.Port, opt.User, key);
                Add(results, "sshnet-sftp", await FetchAsync(output, () => SftpStreamAsync(info, installPath, output, ct)));
                Console.WriteLine($"  run {i + 1}: " + string.Join(", ", results.Select(r => $"{r.Key} {bytes / r.Value[^1] / 1e6:F0} MB/s")));
                Console.WriteLine($"         curl to sftp get {results["sftp"][^1] / results["curl"][^1]:F2}, to ssh cat {results["ssh-cat"][^1] / results["curl"][^1]:F2}; "
                    + $"HttpClient to sftp get {results["sftp"][^1] / results["http-1m"][^1]:F2}, to ssh cat {results["ssh-cat"][^1] / results["http-1m"][^1]:F2}; "
                    + $"stowage CPU {serverCpu[^1]:F2} s/GB (server+children, curl run); {transport}");
            }

            double Best(string name) => results[name].Min();
            string Rate(string name) => $"{bytes / Best(name) / 1e6:F0} MB/s ({Best(name):F2} s)";
            report.Add($"OpenSSH sftp -R 64 -B 262144 get ({Cipher})", Rate("sftp"), null);
            report.Add($"OpenSSH scp ({Cipher})", Rate("scp"), null);
            report.Add($"OpenSSH ssh -T cat > /dev/null ({Cipher}; ceiling of a read through ssh)", Rate("ssh-cat"), null);
            report.Add("SSH.NET SFTP stream in-process (the server's fallback)", Rate("sshnet-sftp"), null);
            report.Add($"Stowage export URL ({transport}), curl -o", Rate("curl"), null);
            report.Add($"Stowage export URL ({transport}), HttpClient 1 MiB reads", Rate("http-1m"), null);
            var ratio = Best("sftp") / Best("curl");
            var ratio1m = Best("sftp") / Best("http-1m");
            report.Add("  ratio to sftp get, curl", $"{ratio:F2} (to scp {Best("scp") / Best("curl"):F2}, to ssh cat {Best("ssh-cat") / Best("curl"):F2})", ratio >= 0.9 ? "PASS (>= 0.9)" : "MISS (>= 0.9)");
            report.Add("  ratio to sftp get, HttpClient 1 MiB", $"{ratio1m:F2} (to ssh cat {Best("ssh-cat") / Best("http-1m"):F2})", ratio1m >= 0.9 ? "PASS (>= 0.9)" : "MISS (>= 0.9)");
            report.Add("  stowage CPU during the curl download (lowest run)", $"{serverCpu.Min():F2} s/GB (server+children)", null);
            report.Add("  server peak RSS growth during the download", $"{rssGrowth:F0} MiB", rssGrowth <= 150 ? "PASS (<= 150 MB)" : "MISS (<= 150 MB)");
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

    private static void Add(Dictionary<string, List<double>> results, string name, double seconds)
    {
        if (!results.TryGetValue(name, out var list))
        {
            results[name] = list = [];
        }

        list.Add(seconds);
    }

    /// <summary>Times one download into <paramref name="output"/> (removed first, so every tool writes a new file).</summary>
    private static double Fetch(string output, Action run)
    {
        File.Delete(output);
        Sshd.Run("sync");
        return ImageBench.Timed(run);
    }

    private static async Task<double> FetchAsync(string output, Func<Task> run, string? md5 = null)
    {
        File.Delete(output);
        Sshd.Run("sync");
        var clock = Stopwatch.StartNew();
        await run();
        clock.Stop();
        if (md5 is not null)
        {
            CheckMd5(output, md5, "HttpClient");
        }

        File.Delete(output);
        return clock.Elapsed.TotalSeconds;
    }

    private static void CheckMd5(string output, string md5, string who)
    {
        var got = Md5(output);
        if (got != md5)
        {
            throw new InvalidOperationException($"{who}: the exported bytes have md5 {got}, the image {md5}");
        }
    }

    private static string Md5(string path)
    {
        using var f = File.OpenRead(path);
#pragma warning disable CA5351 // md5Sum is ZStack's file identity field, compared here, not a security measure
        return Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData(f));
#pragma warning restore CA5351
    }

    private static ConnectionInfo SshNetInfo(int port, string user, string key)
    {
        var info = new ConnectionInfo("127.0.0.1", port, user, new PrivateKeyAuthenticationMethod(user, new PrivateKeyFile(key)));
        info.Encryptions.SetPosition(Cipher, 0);
        return info;
    }

    /// <summary>What the server does per download: SftpFileStream reads (SSH.NET's read-ahead), 1 MiB buffer.</summary>
    private static async Task SftpStreamAsync(ConnectionInfo info, string remote, string local, CancellationToken ct)
    {
        using var sftp = new SftpClient(info) { BufferSize = 256 * 1024 };
        await sftp.ConnectAsync(ct);
        await using var src = await sftp.OpenAsync(remote, FileMode.Open, FileAccess.Read, ct);
        await using var dst = new FileStream(local, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20, true);
        await src.CopyToAsync(dst, 1 << 20, ct);
    }
}
