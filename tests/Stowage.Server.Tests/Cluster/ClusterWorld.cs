using Npgsql;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Cluster;

/// <summary>
/// A management cluster for tests: one fresh PostgreSQL database, three sshd instances (the shared one
/// and two of its own) and N server processes, each with a logged-in client.
/// </summary>
public sealed class ClusterWorld : IAsyncDisposable
{
    /// <summary>Short bounds so failures are seen in seconds: heartbeat 1 s, dead after 6 s (lease 3 s).</summary>
    public static readonly string[] FastCluster = ["--cluster-heartbeat", "1", "--cluster-dead-after", "6"];

    private readonly List<SshdFixture> _ownSshds = [];
    private string _database = "";
    private string _secretFile = "";

    public List<SshdFixture> Sshds { get; } = [];

    public List<ServerProcess> Servers { get; } = [];

    public List<ZStackClient> Clients { get; } = [];

    public string Postgres { get; private set; } = "";

    /// <summary>False when no PostgreSQL was started (tests then return early; scripts/test.sh always starts one).</summary>
    public static bool Available =>
        StowageHost.PostgresServer is not null
        || (Environment.GetEnvironmentVariable("STOWAGE_REQUIRE_POSTGRES") == "1"
            ? throw new InvalidOperationException("STOWAGE_REQUIRE_POSTGRES=1 but STOWAGE_TEST_POSTGRES is not set")
            : false);

    public static async Task<ClusterWorld> StartAsync(SshdFixture shared, int servers, Func<int, string, string>? postgresFor = null, Action<string>? log = null)
    {
        var world = new ClusterWorld();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        void Log(string what) => log?.Invoke($"{clock.Elapsed.TotalSeconds:0.0} s: {what}");
        try
        {
            world.Sshds.Add(shared);
            for (var i = 0; i < 2; i++)
            {
                var own = new SshdFixture();
                world._ownSshds.Add(own);
                await own.InitializeAsync();
                world.Sshds.Add(own);
            }

            Log("sshd instances up");
            var server = StowageHost.PostgresServer!;
            world._database = "stowage_cluster_" + Guid.NewGuid().ToString("N")[..12];
            await using (var conn = new NpgsqlConnection(server))
            {
                await conn.OpenAsync();
                await using var cmd = new NpgsqlCommand($"CREATE DATABASE {world._database}", conn);
                await cmd.ExecuteNonQueryAsync();
            }

            world.Postgres = new NpgsqlConnectionStringBuilder(server) { Database = world._database, Pooling = true, MaxPoolSize = 20 }.ToString();

            // The first server migrates the database; the others start once it has.
            // Every member holds the same cluster secret, as an admin copies it to each server.
            world._secretFile = Path.Combine(Directory.CreateTempSubdirectory("stowage-secret-").FullName, "cluster-secret");
            await File.WriteAllTextAsync(world._secretFile, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
            string[] args = [.. FastCluster, "--cluster-secret-file", world._secretFile];
            string Postgres(int i) => postgresFor?.Invoke(i, world.Postgres) ?? world.Postgres;
            world.Servers.Add(await ServerProcess.StartAsync("s1", Postgres(0), args));
            Log("first server up (database migrated)");
            var rest = await Task.WhenAll(Enumerable.Range(2, servers - 1).Select(i => ServerProcess.StartAsync("s" + i, Postgres(i - 1), args)));
            world.Servers.AddRange(rest);
            Log("all servers up");
            foreach (var s in world.Servers)
            {
                // Calls serialized on one host or backup storage queue behind each other: 30 adds over three
                // hosts take 13 s on a quiet 2-core machine but over 30 s when other tests load it.
                var client = new ZStackClient(s.BaseAddress, "/zstack/v1") { PollTimeout = TimeSpan.FromSeconds(120) };
                await client.LoginAsync();
                world.Clients.Add(client);
            }

            return world;
        }
        catch
        {
            await world.DisposeAsync();
            throw;
        }
    }

    /// <summary>Runs a query on the cluster's database.</summary>
    public async Task<List<T>> QueryAsync<T>(string sql, Func<NpgsqlDataReader, T> read)
    {
        await using var conn = new NpgsqlConnection(Postgres);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand(sql, conn);
        await using var reader = await cmd.ExecuteReaderAsync();
        var rows = new List<T>();
        while (await reader.ReadAsync())
        {
            rows.Add(read(reader));
        }

        return rows;
    }

    /// <summary>Backup storage uuid → owning node id (null while unowned).</summary>
    public async Task<Dictionary<string, string?>> OwnersAsync() =>
        (await QueryAsync("SELECT uuid, owner_node_id FROM backup_storages", r => (r.GetString(0), r.IsDBNull(1) ? null : r.GetString(1))))
            .ToDictionary(x => x.Item1, x => x.Item2);

    public async Task<Dictionary<string, string>> StatusesAsync() =>
        (await QueryAsync("SELECT uuid, status FROM backup_storages", r => (r.GetString(0), r.GetString(1)))).ToDictionary(x => x.Item1, x => x.Item2);

    /// <summary>Checks of backup storages logged by every server, in time order.</summary>
    public List<CheckLine> Checks() => [.. Servers.SelectMany(s => s.Checks(s.Name)).OrderBy(c => c.At)];

    /// <summary>Since <paramref name="since"/>, each backup storage moved at most once per server: no check by a server it had left.</summary>
    public void AssertNoBackAndForth(DateTime since)
    {
        foreach (var group in Checks().Where(c => c.At >= since).GroupBy(c => c.BsUuid))
        {
            var runs = new List<string>();
            foreach (var c in group.OrderBy(c => c.At))
            {
                if (runs.Count == 0 || runs[^1] != c.Node)
                {
                    runs.Add(c.Node);
                }
            }

            Assert.True(runs.Distinct().Count() == runs.Count, $"{group.Key} went back and forth: {string.Join(" -> ", runs)}");
        }
    }

    /// <summary>Waits until every backup storage is owned as the hash ring over the running servers says, and is Connected.</summary>
    public async Task SettledAsync()
    {
        var ring = new Core.Cluster.HashRing(Servers.Where(s => s.Running).Select(s => s.NodeId));
        await WaitAsync(
            async () =>
            {
                var owners = await OwnersAsync();
                var status = await StatusesAsync();
                return owners.All(o => o.Value == ring.OwnerOf(o.Key) && status[o.Key] == "Connected");
            },
            TimeSpan.FromSeconds(60));
    }

    public static async Task WaitAsync(Func<Task<bool>> condition, TimeSpan? limit = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(60));
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(100);
        }
    }

    /// <summary>Every server's log, for the test output of a failed test.</summary>
    public void WriteLogs(Xunit.Abstractions.ITestOutputHelper output)
    {
        foreach (var s in Servers)
        {
            output.WriteLine($"===== {s.Name} ({(s.Running ? "running" : "stopped")}) =====");
            output.WriteLine(string.Join('\n', s.Log.Split('\n').Where(l => !l.Contains(" dbug: ", StringComparison.Ordinal)).TakeLast(300)));
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in Clients)
        {
            c.Dispose();
        }

        foreach (var s in Servers)
        {
            await s.DisposeAsync();
        }

        foreach (var own in _ownSshds)
        {
            await own.DisposeAsync();
        }

        if (_secretFile.Length > 0)
        {
            Directory.Delete(Path.GetDirectoryName(_secretFile)!, recursive: true);
        }

        if (_database.Length > 0 && StowageHost.PostgresServer is { } server)
        {
            NpgsqlConnection.ClearAllPools();
            await using var conn = new NpgsqlConnection(server);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", conn);
            await cmd.ExecuteNonQueryAsync();
        }
    }
}
