using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Renci.SshNet;

namespace Stowage.Bench;

public sealed record ScaleOptions(
    string ServerDll, int Sshds, int Storages, int AddClients, int Parallelism, int Rounds, int DetectInterval, int DetectTimeout, string User, string? Keep,
    IReadOnlyDictionary<string, string> ServerEnvironment)
{
    public static ScaleOptions Parse(string[] args)
    {
        string? Get(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
        int Int(string name, int fallback) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
        var dll = Get("--server") ?? throw new ArgumentException("--server <path to Stowage.Server.dll> is required");
        return new ScaleOptions(Path.GetFullPath(dll), Int("--sshd", 4), Int("--storages", 1000), Int("--add-clients", 8), Int("--parallelism", 50),
            Int("--rounds", 5), Int("--detect-interval", 5), Int("--detect-timeout", 2), Get("--ssh-user") ?? "stowage-sftp-test", Get("--keep"),
            args.Select((a, i) => (a, i)).Where(x => x.a == "--server-env" && x.i + 1 < args.Length).Select(x => args[x.i + 1].Split('=', 2))
                .ToDictionary(kv => kv[0], kv => kv.Length > 1 ? kv[1] : string.Empty, StringComparer.Ordinal));
    }
}

/// <summary>
/// Issue 4 item 6: 1,000 SFTP backup storages over several real sshd instances on loopback; ping round
/// wall time, server CPU and RSS, the cost of the pooled connections, and the time to detect a dead host.
/// </summary>
public static class ScaleBench
{
    private const string Quiet = "600";

    public static async Task<int> RunAsync(string[] args, CancellationToken ct)
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Console.Error.WriteLine("the scale benchmark starts its own sshd instances and must run as root");
            return 2;
        }

        var opt = ScaleOptions.Parse(args);
        var report = new Report();
        var loadBefore = ProcFs.LoadAverage();
        Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}; load average {loadBefore}");

        // Everything lives in one temp directory: client key, authorized_keys, sshd dirs, storage directories.
        var root = Directory.CreateTempSubdirectory("stowage-scale-").FullName;
        Sshd.Run("chmod", "755", root);
        var sshds = new List<Sshd>();
        try
        {
            var clientKey = Path.Combine(root, "id_ed25519");
            Sshd.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "stowage-scale-bench", "-f", clientKey);
            var authorized = Path.Combine(root, "authorized_keys");
            File.Copy(clientKey + ".pub", authorized);
            Sshd.Run("chmod", "644", authorized);
            var data = Path.Combine(root, "data");
            Directory.CreateDirectory(data);
            Sshd.Run("chown", $"{opt.User}:", data);
            var privateKey = await File.ReadAllTextAsync(clientKey, ct);

            for (var i = 0; i < opt.Sshds; i++)
            {
                var s = new Sshd(Path.Combine(root, $"sshd{i}"), opt.User, authorized);
                sshds.Add(s);
                await s.StartAsync();
            }

            Console.WriteLine($"sshd on ports {string.Join(", ", sshds.Select(s => s.Port))}");
            await using var server = await ServerProcess.StartAsync(opt.ServerDll, ct, opt.ServerEnvironment);
            try
            {
                return await MeasureAsync(opt, report, loadBefore, sshds, server, data, privateKey, ct);
            }
            catch (Exception) when (server.HasExited)
            {
                Console.Error.WriteLine("the server exited; its last output:\n" + server.Tail());
                throw;
            }
        }
        finally
        {
            foreach (var s in sshds)
            {
                s.Dispose();
            }

            if (opt.Keep is null)
            {
                try
                {
                    Directory.Delete(root, recursive: true);
                }
                catch (IOException)
                {
                }
            }
        }
    }

    private static async Task<int> MeasureAsync(ScaleOptions opt, Report report, string loadBefore, List<Sshd> sshds, ServerProcess server, string data, string privateKey, CancellationToken ct)
    {
        var pid = server.ProcessId;
        Console.WriteLine($"server pid {pid} on {server.BaseAddress} data {server.DataDir}; extra environment: {string.Join(' ', opt.ServerEnvironment.Select(kv => $"{kv.Key}={kv.Value}"))}");
        using var client = new ZStackHttp(server.BaseAddress);
        await client.LoginAsync(ct);

        await SetConfigAsync(client, "ping.interval", Quiet, ct);
        await SetConfigAsync(client, "ping.timeout", "10", ct);
        await SetConfigAsync(client, "ping.parallelismDegree", opt.Parallelism.ToString(CultureInfo.InvariantCulture), ct);

        // 1. Registration. The first few warm the add path up (JIT, pools); RSS is read after them.
        var warm = Math.Min(20, opt.Storages);
        var rssIdle = ProcFs.Status(pid, "VmRSS");
        await AddAsync(client, opt, sshds, data, privateKey, 0, warm, ct);
        await Task.Delay(1000, ct);
        var rssWarm = ProcFs.Status(pid, "VmRSS");
        var threadsWarm = ProcFs.Status(pid, "Threads");
        var addCpu = ProcFs.CpuSeconds(pid);
        var addClock = Stopwatch.StartNew();
        await AddAsync(client, opt, sshds, data, privateKey, warm, opt.Storages, ct);
        addClock.Stop();
        addCpu = ProcFs.CpuSeconds(pid) - addCpu;
        var added = opt.Storages - warm;
        report.Add($"AddSftpBackupStorage x{added} (c={opt.AddClients}, {opt.Sshds} sshd)",
            $"{added / addClock.Elapsed.TotalSeconds:F1} adds/s ({addClock.Elapsed.TotalSeconds:F1} s), server cpu {addCpu:F1} s = {addCpu / added * 1000:F1} ms/add", null);
        var connected = await CountAsync(client, "status=Connected", ct);
        if (connected != opt.Storages)
        {
            throw new InvalidOperationException($"only {connected} of {opt.Storages} backup storages are Connected");
        }

        await Task.Delay(2000, ct);
        var rssFull = ProcFs.Status(pid, "VmRSS");
        var threadsFull = ProcFs.Status(pid, "Threads");
        var perConn = (rssFull - rssWarm) / added * 1024;
        var rssAdded = (rssFull - rssWarm) / added * opt.Storages;
        report.Add($"server RSS: idle / {warm} BS / {opt.Storages} BS", $"{rssIdle:F0} / {rssWarm:F0} / {rssFull:F0} MiB; threads {threadsWarm:F0} -> {threadsFull:F0}", null);
        report.Add($"RSS added by {opt.Storages} pooled connections (+rows)", $"{rssAdded:F1} MiB ({perConn:F0} KiB per BS, from {warm} -> {opt.Storages} BS)",
            rssAdded <= 60 ? "PASS (<= 60 MiB)" : "MISS (<= 60 MiB)");

        // 2. Ping rounds on the pooled connections.
        var rounds = new List<RoundResult>();
        for (var r = 0; r < opt.Rounds; r++)
        {
            rounds.Add(await MeasureRoundAsync(client, pid, ct));
        }

        foreach (var (r, i) in rounds.Select((r, i) => (r, i)))
        {
            report.Add($"ping round {i + 1} ({r.Checked} BS, parallelism {opt.Parallelism}, pooled)", r.Describe(), null);
        }

        var walls = rounds.Select(r => r.DurationMs / 1000).Order().ToList();
        var cpus = rounds.Select(r => r.CpuSeconds).Order().ToList();
        report.Add($"ping rounds x{rounds.Count}: wall median / max", $"{walls[walls.Count / 2]:F2} / {walls[^1]:F2} s; server cpu per round median {cpus[cpus.Count / 2]:F2} s (max {cpus[^1]:F2}), {cpus[cpus.Count / 2] / opt.Storages * 1000:F2} ms per ping; peak RSS max {rounds.Max(r => r.PeakRssMiB):F0} MiB; load {ProcFs.LoadAverage()}",
            walls[^1] <= 3 ? "PASS (<= 3 s)" : "MISS (<= 3 s)");

        // 3. The same round when every connection has to be opened again: kill all sshd sessions (listeners stay).
        var killed = sshds.Sum(s => s.KillSessions());
        await Task.Delay(500, ct);
        var fresh = await MeasureRoundAsync(client, pid, ct);
        var stillConnected = await CountAsync(client, "status=Connected", ct);
        report.Add($"ping round, every connection new ({killed} sshd processes killed first)", fresh.Describe() + $", {stillConnected} Connected after", null);
        var after = await MeasureRoundAsync(client, pid, ct);
        report.Add("ping round after that (pooled again)", after.Describe(), null);

        // 4. The cost per operation, measured directly with SSH.NET against one sshd.
        var cost = SshCost(sshds[0].Port, sshds[0].Pid, opt.User, privateKey, Path.Combine(data, "cost-probe"));
        report.Add("SSH.NET: ping as SFTP requests on an open SFTP session (what the driver does)", cost.Sftp, null);
        report.Add("SSH.NET: old ping shell script on an open connection (exec)", cost.Exec, null);
        report.Add("SSH.NET: connect+auth+ping script+close", cost.Connect, null);

        // 5. Detection: kill one sshd (listener and sessions) during steady pinging. The session kill above
        //    left backup storages Disconnected; the steady state starts once auto-reconnect has them all back.
        await SetConfigAsync(client, "ping.timeout", opt.DetectTimeout.ToString(CultureInfo.InvariantCulture), ct);
        await SetConfigAsync(client, "ping.interval", opt.DetectInterval.ToString(CultureInfo.InvariantCulture), ct);
        var settle = Stopwatch.StartNew();
        while (await CountAsync(client, "status=Connected", ct) < opt.Storages && settle.Elapsed < TimeSpan.FromSeconds(300))
        {
            await Task.Delay(500, ct);
        }

        report.Add("after the session kill: all Connected again by auto-reconnect", $"{settle.Elapsed.TotalSeconds:F1} s ({await CountAsync(client, "status=Connected", ct)}/{opt.Storages})", null);
        var stats = await StatsAsync(client, ct);
        var r0 = stats["rounds"]!.GetValue<long>();
        while ((await StatsAsync(client, ct))["rounds"]!.GetValue<long>() < r0 + 2)
        {
            await Task.Delay(100, ct);
        }

        await Task.Delay(Random.Shared.Next(opt.DetectInterval * 1000), ct); // a random phase of the schedule
        var victim = sshds[0];
        var onVictim = await CountAsync(client, $"sshPort={victim.Port}", ct, sftp: true);
        var detect = Stopwatch.StartNew();
        victim.KillNow();

        // Not "status=Disconnected": auto-reconnect moves a Disconnected backup storage through Connecting at
        // every interval, so a count of Disconnected ones can miss those being retried at that moment.
        long up;
        while ((up = await CountAsync(client, $"sshPort={victim.Port}&q=status=Connected", ct, sftp: true)) > 0 && detect.Elapsed < TimeSpan.FromSeconds(120))
        {
            await Task.Delay(50, ct);
        }

        detect.Stop();
        var down = onVictim - up;
        victim.Kill();
        var others = await CountAsync(client, "status=Connected", ct);
        var bound = opt.DetectInterval + opt.DetectTimeout;
        report.Add($"detection: kill -9 one sshd ({onVictim} BS) -> all Disconnected", $"{detect.Elapsed.TotalSeconds:F2} s ({down}/{onVictim}; interval {opt.DetectInterval} s, timeout {opt.DetectTimeout} s; {others} others stay Connected)",
            down == onVictim && detect.Elapsed.TotalSeconds <= bound ? $"PASS (<= {bound} s)" : $"MISS (<= {bound} s)");

        // 6. Recovery: start it again (same port and host key) and wait until all are Connected by themselves.
        var recover = Stopwatch.StartNew();
        await victim.StartAsync();
        while (await CountAsync(client, "status=Connected", ct) < opt.Storages && recover.Elapsed < TimeSpan.FromSeconds(120))
        {
            await Task.Delay(100, ct);
        }

        recover.Stop();
        report.Add("recovery: sshd back -> all Connected by auto-reconnect", $"{recover.Elapsed.TotalSeconds:F2} s ({await CountAsync(client, "status=Connected", ct)}/{opt.Storages})", null);
        await SetConfigAsync(client, "ping.interval", Quiet, ct);

        report.Add("load average (1/5/15 min) before / after", $"{loadBefore} / {ProcFs.LoadAverage()}", null);
        report.Print();
        return report.AllPass ? 0 : 1;
    }

    private static async Task AddAsync(ZStackHttp client, ScaleOptions opt, List<Sshd> sshds, string data, string privateKey, int from, int to, CancellationToken ct)
    {
        await Parallel.ForEachAsync(Enumerable.Range(from, to - from), new ParallelOptions { MaxDegreeOfParallelism = opt.AddClients, CancellationToken = ct }, async (i, token) =>
        {
            var body = new JsonObject
            {
                ["params"] = new JsonObject
                {
                    ["name"] = $"bs-{i}",
                    ["url"] = $"{data}/bs-{i}",
                    ["hostname"] = "127.0.0.1",
                    ["sshPort"] = sshds[i % sshds.Count].Port,
                    ["username"] = opt.User,
                    ["sshKey"] = privateKey,
                },
            };
            var (status, text) = await client.CallAsync(HttpMethod.Post, "zstack/v1/backup-storage/sftp", body.ToJsonString(), token);
            if (status != HttpStatusCode.OK)
            {
                throw new InvalidOperationException($"AddSftpBackupStorage {i} failed: {(int)status} {text}");
            }
        });
    }

    private static async Task SetConfigAsync(ZStackHttp client, string name, string value, CancellationToken ct)
    {
        var (status, text) = await client.CallAsync(HttpMethod.Put, $"zstack/v1/global-configurations/backupStorage/{name}/actions",
            new JsonObject { ["updateGlobalConfig"] = new JsonObject { ["value"] = value } }.ToJsonString(), ct);
        if (status != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"UpdateGlobalConfig {name}={value} failed: {(int)status} {text}");
        }
    }

    private static async Task<JsonNode> StatsAsync(ZStackHttp client, CancellationToken ct)
    {
        var (status, text) = await client.SendAsync(HttpMethod.Get, "zstack/v1/backup-storage/ping-stats", null, ct);
        return status == HttpStatusCode.OK ? JsonNode.Parse(text)! : throw new InvalidOperationException($"GetBackupStoragePingStats: {(int)status} {text}");
    }

    private static async Task<long> CountAsync(ZStackHttp client, string condition, CancellationToken ct, bool sftp = false)
    {
        var (status, text) = await client.SendAsync(HttpMethod.Get, $"zstack/v1/backup-storage{(sftp ? "/sftp" : string.Empty)}?q={condition}&count=true", null, ct);
        return status == HttpStatusCode.OK ? JsonNode.Parse(text)!["total"]!.GetValue<long>() : throw new InvalidOperationException($"query {condition}: {(int)status} {text}");
    }

    private sealed record RoundResult(double DurationMs, int Checked, double CpuSeconds, double PeakRssMiB, double RssAfterMiB, int MaxInFlight)
    {
        public string Describe() =>
            $"{DurationMs / 1000:F2} s, server cpu {CpuSeconds:F2} s, peak RSS {PeakRssMiB:F0} MiB (after {RssAfterMiB:F0}), max in flight {MaxInFlight}";
    }

    /// <summary>
    /// Lets exactly one round run (ping.interval 2 s, back to quiet as soon as it started) and reads its wall time from the
    /// server's GetBackupStoragePingStats; CPU from /proc between the last sample before its first ping and
    /// the first sample after it ended (50 ms sampling); peak RSS from VmHWM reset just before.
    /// </summary>
    private static async Task<RoundResult> MeasureRoundAsync(ZStackHttp client, int pid, CancellationToken ct)
    {
        var before = await StatsAsync(client, ct);
        var rounds0 = before["rounds"]!.GetValue<long>();
        var pings0 = before["pings"]!.GetValue<long>();
        ProcFs.ResetPeakRss(pid);
        await SetConfigAsync(client, "ping.interval", "2", ct);
        var cpuStart = ProcFs.CpuSeconds(pid);
        var quietAgain = false;
        JsonNode now;
        while (true)
        {
            var cpu = ProcFs.CpuSeconds(pid);
            now = await StatsAsync(client, ct);
            if (now["rounds"]!.GetValue<long>() > rounds0)
            {
                break;
            }

            if (now["pings"]!.GetValue<long>() == pings0 && now["inFlight"]!.GetValue<int>() == 0)
            {
                cpuStart = cpu;
            }
            else if (!quietAgain)
            {
                // Started: back to quiet at once, so the fixed schedule does not start a second round meanwhile.
                await SetConfigAsync(client, "ping.interval", Quiet, ct);
                quietAgain = true;
            }

            await Task.Delay(50, ct);
        }

        var cpuEnd = ProcFs.CpuSeconds(pid);
        if (!quietAgain)
        {
            await SetConfigAsync(client, "ping.interval", Quiet, ct);
        }
        return new RoundResult(now["lastRoundDurationMs"]!.GetValue<double>(), now["lastRoundBackupStorages"]!.GetValue<int>(), cpuEnd - cpuStart,
            ProcFs.Status(pid, "VmHWM"), ProcFs.Status(pid, "VmRSS"), now["maxInFlight"]!.GetValue<int>());
    }

    /// <summary>
    /// The ping's cost per operation against one sshd, measured directly with SSH.NET (same algorithms as
    /// the driver): the SFTP requests of the driver's ping on an open SFTP session, the old exec script on
    /// an open connection, and a new connection each time. Client CPU is this process; host CPU is the
    /// sshd listener's process tree (its other sessions are idle meanwhile).
    /// </summary>
    private static (string Sftp, string Exec, string Connect) SshCost(int port, int sshdPid, string user, string privateKey, string dir)
    {
        var script = $"LC_ALL=C; export LC_ALL; d='{dir}'; mkdir -p -- \"$d\"; w=\"$d/.w.$$\"; ( : > \"$w\" ) && rm -f -- \"$w\"; "
            + "o=$(df -B1 --output=size,avail -- \"$d\"); printf 'DF %s\\n' \"$(printf '%s\\n' \"$o\" | tail -n 1)\"";
        ConnectionInfo Info()
        {
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(privateKey));
            var info = new ConnectionInfo("127.0.0.1", port, user, new PrivateKeyAuthenticationMethod(user, new PrivateKeyFile(stream)));
            foreach (var (kex, pos) in new[] { ("curve25519-sha256", 0), ("curve25519-sha256@libssh.org", 1) })
            {
                info.KeyExchangeAlgorithms.SetPosition(kex, pos);
            }

            info.Encryptions.SetPosition("aes128-gcm@openssh.com", 0);
            return info;
        }

        SshClient Open()
        {
            var c = new SshClient(Info());
            c.Connect();
            return c;
        }

        void Exec(SshClient c)
        {
            using var cmd = c.RunCommand(script);
            if (cmd.ExitStatus != 0 || !cmd.Result.StartsWith("DF ", StringComparison.Ordinal))
            {
                throw new InvalidOperationException($"probe failed: {cmd.ExitStatus} {cmd.Error}");
            }
        }

        using (var warm = Open())
        {
            Exec(warm);
        }

        // The driver's ping as SFTP requests: stat, marker open/read/close, mkdir+rmdir of a probe, statvfs.
        using var sftp = new SftpClient(Info()) { BufferSize = 4096 };
        sftp.Connect();
        var marker = dir + "/.stowage-backup-storage";
        sftp.WriteAllText(marker, "cost-probe\n");
        void SftpPing()
        {
            var tasks = new Task[]
            {
                sftp.GetAttributesAsync(dir, CancellationToken.None),
                Task.Run(async () =>
                {
                    await using var s = await sftp.OpenAsync(marker, FileMode.Open, FileAccess.Read, CancellationToken.None);
                    await s.ReadAtLeastAsync(new byte[256], 1, throwOnEndOfStream: false);
                }),
                Task.Run(async () =>
                {
                    var probe = dir + "/.stowage-write-test." + Guid.NewGuid().ToString("N");
                    await sftp.CreateDirectoryAsync(probe, CancellationToken.None);
                    await sftp.DeleteDirectoryAsync(probe, CancellationToken.None);
                }),
                sftp.GetStatusAsync(dir, CancellationToken.None),
            };
            Task.WaitAll(tasks);
        }

        SftpPing();
        var (sftpMs, sftpCpu, sftpHost) = Time(200, SftpPing, sshdPid);
        using var open = Open();
        var (execMs, execCpu, execHost) = Time(100, () => Exec(open), sshdPid);
        var (connMs, connCpu, connHost) = Time(30, () =>
        {
            using var c = Open();
            Exec(c);
        }, sshdPid);
        return ($"median {sftpMs:F2} ms, client cpu {sftpCpu:F2} ms/op, host (sshd+sftp-server) cpu {sftpHost:F2} ms/op (n=200)",
            $"median {execMs:F1} ms, client cpu {execCpu:F2} ms/op, host (sshd+shell+df) cpu {execHost:F2} ms/op (n=100)",
            $"median {connMs:F1} ms, client cpu {connCpu:F2} ms/op, host cpu {connHost:F2} ms/op (n=30)");
    }

    private static (double MedianMs, double CpuMsPerOp, double HostCpuMsPerOp) Time(int n, Action op, int sshdPid)
    {
        var host = ProcFs.TreeCpuSeconds(sshdPid);
        var (median, cpu) = Time(n, op);
        return (median, cpu, (ProcFs.TreeCpuSeconds(sshdPid) - host) * 1000 / n);
    }

    private static (double MedianMs, double CpuMsPerOp) Time(int n, Action op)
    {
        var times = new List<double>(n);
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        for (var i = 0; i < n; i++)
        {
            var start = Stopwatch.GetTimestamp();
            op();
            times.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
        }

        cpu = Process.GetCurrentProcess().TotalProcessorTime - cpu;
        times.Sort();
        return (times[n / 2], cpu.TotalMilliseconds / n);
    }
}
