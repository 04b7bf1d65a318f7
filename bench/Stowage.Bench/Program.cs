using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Data.Sqlite;
using Stowage.Bench;

// Usage: Stowage.Bench --server <Stowage.Server.dll> [--zones 10000] [--api-seed 2000] [--seconds 10] [--clients 8] [--job-clients 32] [--seed-clients 32]
//        Stowage.Bench scale --server <Stowage.Server.dll> [--sshd 4] [--storages 1000] [--add-clients 8] [--parallelism 50] [--rounds 3]
//                            [--detect-interval 5] [--detect-timeout 2] [--ssh-user stowage-sftp-test]
//        Stowage.Bench image --server <Stowage.Server.dll> [--size-mib 2048] [--repeat 1] [--ssh-user stowage-sftp-test]
//        Stowage.Bench upload --server <Stowage.Server.dll> [--sizes-mib 1024,4096] [--repeat 3] [--dir D] [--ssh-user stowage-sftp-test]
//        Stowage.Bench verify --server <Stowage.Server.dll> [--size-mib 2048] [--repeat 1] [--ssh-user stowage-sftp-test]
//        Stowage.Bench export --server <Stowage.Server.dll> [--size-mib 2048] [--repeat 1] [--ssh-user stowage-sftp-test]
//        Stowage.Bench fs --server <Stowage.Server.dll> [--size-mib 2048] [--repeat 1] [--dir /var/tmp]
//        Stowage.Bench swift --server <Stowage.Server.dll> [--size-mib 2048] [--repeat 1] [--dir /var/tmp]
//        Stowage.Bench nfs --server <Stowage.Server.dll> [--size-mib 2048] [--repeat 1]
using var cts = new CancellationTokenSource();

// SIGINT, SIGTERM (what `timeout` and scripts/bench.sh send) and SIGHUP cancel the run instead of ending the
// process at once, so every benchmark's finally blocks stop the server, sshd and helpers it started and remove
// its temp directories. scripts/bench.sh kills the process group as well if that takes too long.
using var onInt = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGINT, Stop);
using var onTerm = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGTERM, Stop);
using var onHup = System.Runtime.InteropServices.PosixSignalRegistration.Create(System.Runtime.InteropServices.PosixSignal.SIGHUP, Stop);
void Stop(System.Runtime.InteropServices.PosixSignalContext context)
{
    context.Cancel = true;
    Console.Error.WriteLine($"{context.Signal}: stopping, cleaning up what the benchmark started");
    cts.Cancel();
}

var ct = cts.Token;

// A cancelled run has cleaned up by the time the cancellation reaches here: exit 130, not with a stack trace.
async Task<int> Interruptible(Func<Task<int>> run)
{
    try
    {
        return await run();
    }
    catch (OperationCanceledException) when (ct.IsCancellationRequested)
    {
        Console.Error.WriteLine("interrupted; everything the benchmark started is stopped");
        return 130;
    }
}
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
if (args.Length > 0 && args[0] == "scale")
{
    return await Interruptible(() => ScaleBench.RunAsync(args[1..], ct));
}

if (args.Length > 0 && args[0] == "export")
{
    return await Interruptible(() => ExportBench.RunAsync(args[1..], ct));
}

if (args.Length > 0 && args[0] == "swift")
{
    return await Interruptible(() => SwiftBench.RunAsync(args[1..], ct));
}

if (args.Length > 0 && args[0] == "fs")
{
    return await Interruptible(() => FsBench.RunAsync(args[1..], ct));
}

if (args.Length > 0 && args[0] == "nfs")
{
    return await Interruptible(() => NfsBench.RunAsync(args[1..], ct));
}

if (args.Length > 0 && args[0] == "upload")
{
    return await Interruptible(() => UploadBench.RunAsync(args[1..], ct));
}

if (args.Length > 0 && args[0] == "verify")
{
    return await VerifyBench.RunAsync(args[1..], ct);
}

if (args.Length > 0 && args[0] == "image")
{
    return await Interruptible(() => ImageBench.RunAsync(args[1..], ct));
}

var opt = Options.Parse(args);
var report = new Report();
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;

Console.WriteLine($"machine: {Environment.ProcessorCount} cores, {Environment.OSVersion}, .NET {Environment.Version}");
await using var server = await ServerProcess.StartAsync(opt.ServerDll, ct);
Console.WriteLine($"server pid {server.ProcessId} on {server.BaseAddress} data {server.DataDir}");
using var client = new ZStackHttp(server.BaseAddress);
await client.LoginAsync(ct);

// 1. Seed zones, each with one user tag. The first --api-seed go through the API (CreateZone with userTags,
//    polled to completion, measured); the rest are inserted with SQL in the same row format.
var zones = new string[opt.Zones];
var apiSeed = Math.Min(opt.ApiSeed, opt.Zones);
var seedClock = Stopwatch.StartNew();
var seedCpu = server.CpuSeconds();
await Parallel.ForEachAsync(Enumerable.Range(0, apiSeed), new ParallelOptions { MaxDegreeOfParallelism = opt.SeedClients, CancellationToken = ct }, async (i, token) =>
{
    var body = $"{{\"params\":{{\"name\":\"zone-{i}\",\"description\":\"bench zone {i}\"}},\"userTags\":[\"tag-{i}\"]}}";
    var (status, text) = await client.CallAsync(HttpMethod.Post, "zstack/v1/zones", body, token);
    if (status != HttpStatusCode.OK)
    {
        throw new InvalidOperationException($"CreateZone {i} failed: {(int)status} {text}");
    }

    zones[i] = JsonNode.Parse(text)!["inventory"]!["uuid"]!.GetValue<string>();
});
seedClock.Stop();
report.Add("seed: CreateZone+userTag via API", $"{apiSeed} zones in {seedClock.Elapsed.TotalSeconds:F1} s = {apiSeed / seedClock.Elapsed.TotalSeconds:F0} jobs/s (c={opt.SeedClients}), server cpu {server.CpuSeconds() - seedCpu:F1} s", null);
if (apiSeed < opt.Zones)
{
    var sqlClock = Stopwatch.StartNew();
    SqlReference.Seed(server.DatabaseFile, zones, apiSeed);
    report.Add("seed: rest via SQL (one transaction)", $"{opt.Zones - apiSeed} zones+tags in {sqlClock.Elapsed.TotalSeconds:F2} s", null);
}

// 2. Sync query throughput: 100-row pages filtered by a user-tag LIKE condition (a subquery on tags).
const string QueryPath = "zstack/v1/zones?q=__userTag__~%3Dtag-1%25&limit=100";
var check = await client.SendAsync(HttpMethod.Get, QueryPath, null, ct);
var rowsPerPage = JsonNode.Parse(check.Body)!["inventories"]!.AsArray().Count;
if (check.Status != HttpStatusCode.OK || rowsPerPage != Math.Min(100, Expected(opt.Zones)))
{
    throw new InvalidOperationException($"query check failed: {(int)check.Status}, {rowsPerPage} rows");
}

async Task<Load> QueryOnce(CancellationToken token)
{
    var (status, _) = await client.SendAsync(HttpMethod.Get, QueryPath, null, token);
    return new Load(status == HttpStatusCode.OK);
}

await LoadRunner.RunAsync(opt.Clients, TimeSpan.FromSeconds(2), QueryOnce, ct); // warm-up (JIT, caches, pools)
var queryCpu = server.CpuSeconds();
var query = await LoadRunner.RunAsync(opt.Clients, TimeSpan.FromSeconds(opt.Seconds), QueryOnce, ct);
queryCpu = server.CpuSeconds() - queryCpu;
report.Add($"query c={opt.Clients} ({rowsPerPage} rows/page)", $"{query.PerSecond:F0} req/s, p50 {query.P(50):F2} ms, p99 {query.P(99):F2} ms, errors {query.Errors}, server cpu {queryCpu / query.Elapsed.TotalSeconds * 100:F0}% of 1 core",
    query.PerSecond >= 1500 && query.P(99) <= 50 ? "PASS (>=1500 req/s, p99<=50 ms)" : "MISS (>=1500 req/s, p99<=50 ms)");
var single = await LoadRunner.RunAsync(1, TimeSpan.FromSeconds(3), QueryOnce, ct);
report.Add("query c=1 (HttpClient, keep-alive)", $"{single.PerSecond:F0} req/s, p50 {single.P(50):F2} ms, p99 {single.P(99):F2} ms", null);

// 3. Reference: curl, sequential on one kept-alive connection, same request.
var curl = await CurlReference.RunAsync(server.BaseAddress, QueryPath, client.Session!, 1000, ct);
if (curl is not null)
{
    report.Add("reference: curl sequential (keep-alive)", $"{curl.PerSecond:F0} req/s, p50 {curl.P(50):F2} ms, p99 {curl.P(99):F2} ms", null);
}

// 4. Reference: the equivalent SQL straight through Microsoft.Data.Sqlite, reading every column.
var sql = SqlReference.Run(server.DatabaseFile, TimeSpan.FromSeconds(3));
report.Add("reference: raw SQLite SELECT (1 thread)", $"{sql.PerSecond:F0} q/s, p50 {sql.P(50):F3} ms, p99 {sql.P(99):F3} ms ({sql.Rows} rows)", null);

// 5. Async jobs: UpdateZone submitted and polled to completion; each client works on its own zones.
var jobCounter = 0L;
var pollsBefore = client.Polls;
async Task<Load> UpdateOnce(int worker, long n, CancellationToken token)
{
    var zone = zones[(int)((worker + (n * opt.JobClients)) % zones.Length)];
    var body = $"{{\"updateZone\":{{\"description\":\"bench-{Interlocked.Increment(ref jobCounter)}\"}}}}";
    var (status, _) = await client.CallAsync(HttpMethod.Put, $"zstack/v1/zones/{zone}/actions", body, token);
    return new Load(status == HttpStatusCode.OK);
}

await LoadRunner.RunAsync(opt.JobClients, TimeSpan.FromSeconds(2), UpdateOnce, ct); // warm-up
pollsBefore = client.Polls;
var jobCpu = server.CpuSeconds();
var jobs = await LoadRunner.RunAsync(opt.JobClients, TimeSpan.FromSeconds(opt.Seconds), UpdateOnce, ct);
jobCpu = server.CpuSeconds() - jobCpu;
var pollsPerJob = (client.Polls - pollsBefore) / (double)Math.Max(1, jobs.Count);
report.Add($"async UpdateZone c={opt.JobClients} (submit+poll)", $"{jobs.PerSecond:F0} jobs/s, p50 {jobs.P(50):F1} ms, p99 {jobs.P(99):F1} ms, {pollsPerJob:F2} polls/job, errors {jobs.Errors}, server cpu {jobCpu / jobs.Elapsed.TotalSeconds * 100:F0}% of 1 core",
    jobs.PerSecond >= 300 ? "PASS (>=300 jobs/s)" : "MISS (>=300 jobs/s)");

// Ratios.
if (curl is not null)
{
    report.Add("ratio: HttpClient c=1 / curl (req/s)", $"{single.PerSecond / curl.PerSecond:F2}", null);
    report.Add($"ratio: server c={opt.Clients} / curl (req/s)", $"{query.PerSecond / curl.PerSecond:F2}", null);
}

report.Add("ratio: server c=1 / raw SQL (q/s)", $"{single.PerSecond / sql.PerSecond:F2} (p50 {single.P(50) / sql.P(50):F1}x the SQL time)", null);
report.Add($"ratio: server c={opt.Clients} / raw SQL (q/s)", $"{query.PerSecond / sql.PerSecond:F2}", null);

report.Print();
return report.AllPass ? 0 : 1;

static int Expected(int zones) => Enumerable.Range(0, zones).Count(i => i.ToString(CultureInfo.InvariantCulture).StartsWith('1'));

namespace Stowage.Bench
{
    public sealed record Options(string ServerDll, int Zones, int ApiSeed, int Seconds, int Clients, int JobClients, int SeedClients)
    {
        public static Options Parse(string[] args)
        {
            string? Get(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
            int Int(string name, int fallback) => Get(name) is { } v ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;
            var dll = Get("--server") ?? throw new ArgumentException("--server <path to Stowage.Server.dll> is required");
            return new Options(Path.GetFullPath(dll), Int("--zones", 10_000), Int("--api-seed", 2_000), Int("--seconds", 10), Int("--clients", 8), Int("--job-clients", 32), Int("--seed-clients", 32));
        }
    }

    public readonly record struct Load(bool Ok);

    public sealed class LoadResult(List<double> latenciesMs, int errors, TimeSpan elapsed)
    {
        private readonly double[] _sorted = [.. latenciesMs.Order()];

        public int Count => _sorted.Length;

        public int Errors => errors;

        public TimeSpan Elapsed => elapsed;

        public double PerSecond => Count / elapsed.TotalSeconds;

        public long Rows { get; init; }

        public double P(double percentile) =>
            _sorted.Length == 0 ? double.NaN : _sorted[Math.Min(_sorted.Length - 1, (int)Math.Ceiling(percentile / 100 * _sorted.Length) - 1)];
    }

    public static class LoadRunner
    {
        public static Task<LoadResult> RunAsync(int clients, TimeSpan duration, Func<CancellationToken, Task<Load>> op, CancellationToken ct) =>
            RunAsync(clients, duration, (_, _, token) => op(token), ct);

        /// <summary>Closed loop: each client sends its next request when the last one finished, until the time is up.</summary>
        public static async Task<LoadResult> RunAsync(int clients, TimeSpan duration, Func<int, long, CancellationToken, Task<Load>> op, CancellationToken ct)
        {
            var all = new List<double>[clients];
            var errors = 0;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(Enumerable.Range(0, clients).Select(async w =>
            {
                var mine = all[w] = new List<double>(100_000);
                for (long n = 0; clock.Elapsed < duration; n++)
                {
                    var start = Stopwatch.GetTimestamp();
                    var r = await op(w, n, ct);
                    mine.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
                    if (!r.Ok)
                    {
                        Interlocked.Increment(ref errors);
                    }
                }
            }));
            clock.Stop();
            return new LoadResult([.. all.SelectMany(l => l)], errors, clock.Elapsed);
        }
    }

    /// <summary>curl fetching the same URL N times in one process (one kept-alive connection), timing each transfer.</summary>
    public static class CurlReference
    {
        public static async Task<LoadResult?> RunAsync(Uri baseAddress, string path, string session, int n, CancellationToken ct)
        {
            var config = Path.GetTempFileName();
            try
            {
                var lines = new List<string> { $"header = \"Authorization: OAuth {session}\"", "silent", "write-out = \"%{time_total}\\n\"" };
                for (var i = 0; i < n; i++)
                {
                    lines.Add($"url = \"{new Uri(baseAddress, path)}\"");
                    lines.Add("output = \"/dev/null\"");
                }

                await File.WriteAllLinesAsync(config, lines, ct);
                var psi = new ProcessStartInfo("curl") { RedirectStandardOutput = true, UseShellExecute = false };
                psi.ArgumentList.Add("-K");
                psi.ArgumentList.Add(config);
                var clock = Stopwatch.StartNew();
                using var p = Process.Start(psi)!;
                var text = await p.StandardOutput.ReadToEndAsync(ct);
                await p.WaitForExitAsync(ct);
                clock.Stop();
                var times = text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(t => double.Parse(t, CultureInfo.InvariantCulture) * 1000).ToList();
                return p.ExitCode == 0 ? new LoadResult(times, n - times.Count, clock.Elapsed) : null;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                return null; // curl is not installed
            }
            finally
            {
                File.Delete(config);
            }
        }
    }

    /// <summary>The SQL the query engine generates for the benchmark request, run directly on the server's database file.</summary>
    public static class SqlReference
    {
        public const string Sql =
            "SELECT t.* FROM \"zones\" t WHERE t.\"uuid\" IN (SELECT j1.\"resource_uuid\" FROM \"tags\" j1 WHERE j1.\"type\" = @p0 AND j1.\"resource_type\" = @p1 AND j1.\"tag\" LIKE @p2) "
            + "ORDER BY t.\"uuid\" ASC LIMIT @p3 OFFSET @p4";

        /// <summary>Inserts zones <paramref name="from"/>.. with their resource row and user tag, copying the date text of an API-created zone.</summary>
        public static void Seed(string dbFile, string[] zones, int from)
        {
            SQLitePCL.Batteries_V2.Init();
            using var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = dbFile, Pooling = false, DefaultTimeout = 60 }.ToString());
            conn.Open();
            using var dateCmd = conn.CreateCommand();
            dateCmd.CommandText = "SELECT create_date FROM zones ORDER BY create_date LIMIT 1";
            var date = (string)dateCmd.ExecuteScalar()!;
            using var tx = conn.BeginTransaction();
            using var cmd = conn.CreateCommand();
            cmd.Transaction = tx;
            cmd.CommandText =
                "INSERT INTO resources(uuid, resource_type, resource_name, create_date) VALUES ($u, 'ZoneVO', $name, $d);"
                + "INSERT INTO zones(uuid, name, description, state, type, is_default, create_date, last_op_date, version) VALUES ($u, $name, $desc, 'Enabled', 'zstack', 0, $d, $d, 0);"
                + "INSERT INTO tags(uuid, resource_uuid, resource_type, tag, type, inherent, create_date, last_op_date, version) VALUES ($t, $u, 'ZoneVO', $tag, 'User', 0, $d, $d, 0);";
            var u = cmd.Parameters.Add("$u", SqliteType.Text);
            var name = cmd.Parameters.Add("$name", SqliteType.Text);
            var desc = cmd.Parameters.Add("$desc", SqliteType.Text);
            var t = cmd.Parameters.Add("$t", SqliteType.Text);
            var tag = cmd.Parameters.Add("$tag", SqliteType.Text);
            cmd.Parameters.AddWithValue("$d", date);
            for (var i = from; i < zones.Length; i++)
            {
                zones[i] = Guid.NewGuid().ToString("N");
                u.Value = zones[i];
                name.Value = "zone-" + i.ToString(CultureInfo.InvariantCulture);
                desc.Value = "bench zone " + i.ToString(CultureInfo.InvariantCulture);
                t.Value = Guid.NewGuid().ToString("N");
                tag.Value = "tag-" + i.ToString(CultureInfo.InvariantCulture);
                cmd.ExecuteNonQuery();
            }

            tx.Commit();
        }

        public static LoadResult Run(string dbFile, TimeSpan duration)
        {
            SQLitePCL.Batteries_V2.Init();
            using var conn = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = dbFile, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString());
            conn.Open();
            using var cmd = conn.CreateCommand();
            cmd.CommandText = Sql;
            cmd.Parameters.AddWithValue("@p0", "User");
            cmd.Parameters.AddWithValue("@p1", "ZoneVO");
            cmd.Parameters.AddWithValue("@p2", "tag-1%");
            cmd.Parameters.AddWithValue("@p3", 100);
            cmd.Parameters.AddWithValue("@p4", 0);
            cmd.Prepare();
            var latencies = new List<double>();
            long rows = 0;
            var clock = Stopwatch.StartNew();
            var values = new object[16];
            while (clock.Elapsed < duration)
            {
                var start = Stopwatch.GetTimestamp();
                using (var reader = cmd.ExecuteReader())
                {
                    while (reader.Read())
                    {
                        reader.GetValues(values);
                        rows++;
                    }
                }

                latencies.Add(Stopwatch.GetElapsedTime(start).TotalMilliseconds);
            }

            clock.Stop();
            return new LoadResult(latencies, 0, clock.Elapsed) { Rows = rows / Math.Max(1, latencies.Count) };
        }
    }

    public sealed class Report
    {
        private readonly List<(string Name, string Value, string? Target)> _rows = [];

        public bool AllPass => _rows.All(r => r.Target is null || r.Target.StartsWith("PASS", StringComparison.Ordinal));

        public void Add(string name, string value, string? target)
        {
            _rows.Add((name, value, target));
            Console.WriteLine($"  {name}: {value}{(target is null ? string.Empty : "  [" + target + "]")}");
        }

        public void Print()
        {
            var w0 = _rows.Max(r => r.Name.Length);
            var w1 = _rows.Max(r => r.Value.Length);
            Console.WriteLine();
            Console.WriteLine($"| {"measurement".PadRight(w0)} | {"result".PadRight(w1)} | target |");
            Console.WriteLine($"|{new string('-', w0 + 2)}|{new string('-', w1 + 2)}|--------|");
            foreach (var (name, value, target) in _rows)
            {
                Console.WriteLine($"| {name.PadRight(w0)} | {value.PadRight(w1)} | {target ?? string.Empty} |");
            }
        }
    }
}
