using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Stowage.Server.Hosting;

namespace Stowage.Server.Tests.Infrastructure;

public enum Db
{
    Sqlite,
    Postgres,
}

/// <summary>
/// A real Stowage server on a free loopback port, in this process, on a fresh SQLite file or a fresh
/// database in the PostgreSQL server the test script started (<c>STOWAGE_TEST_POSTGRES</c>).
/// </summary>
public sealed class StowageHost : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly string _dataDir;
    private readonly string? _pgDatabase;

    private StowageHost(WebApplication app, string dataDir, string? pgDatabase, FakeTimeProvider? clock)
    {
        _app = app;
        _dataDir = dataDir;
        _pgDatabase = pgDatabase;
        Clock = clock;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        BaseAddress = new Uri(address);
    }

    public Uri BaseAddress { get; }

    public FakeTimeProvider? Clock { get; }

    public IServiceProvider Services => _app.Services;

    public string DataDir => _dataDir;

    /// <summary>Connection string of the PostgreSQL server for tests, or null when none was started.</summary>
    public static string? PostgresServer => Environment.GetEnvironmentVariable("STOWAGE_TEST_POSTGRES");

    /// <summary>The PostgreSQL database of this host (null on SQLite): a restart test starts the next host on it.</summary>
    public string? PgDatabase => _pgDatabase;

    /// <summary>Starts a server; <paramref name="pgDatabase"/> reuses a database a stopped host left (a restart), else a fresh one is made.</summary>
    public static async Task<StowageHost> StartAsync(
        Db db = Db.Sqlite, bool fakeClock = false, string? dataDir = null, Action<IServiceCollection>? configure = null, IEnumerable<string>? extraArgs = null, string? pgDatabase = null)
    {
        dataDir ??= Directory.CreateTempSubdirectory("stowage-test-").FullName;
        List<string> args = ["--urls", "http://127.0.0.1:0", "--data-dir", dataDir, .. extraArgs ?? []];
        if (db == Db.Postgres)
        {
            var server = PostgresServer ?? throw new InvalidOperationException("STOWAGE_TEST_POSTGRES is not set: run the tests with scripts/test.sh, which starts PostgreSQL");
            if (pgDatabase is null)
            {
                pgDatabase = "stowage_test_" + Guid.NewGuid().ToString("N")[..12];
                await using var conn = new NpgsqlConnection(server);
                await conn.OpenAsync();
                await using var cmd = new NpgsqlCommand($"CREATE DATABASE {pgDatabase}", conn);
                await cmd.ExecuteNonQueryAsync();
            }

            args.AddRange(["--postgres", new NpgsqlConnectionStringBuilder(server) { Database = pgDatabase }.ToString()]);
        }

        var clock = fakeClock ? new FakeTimeProvider(DateTimeOffset.UtcNow) : null;
        var app = StowageServer.Build([.. args], services =>
        {
            if (clock is not null)
            {
                services.AddSingleton<TimeProvider>(clock);
            }

            configure?.Invoke(services);
        });
        await StowageServer.PrepareAsync(app, CancellationToken.None);

        // Most tests use small images; ZStack's 1 MiB floor for http sources is tested where it is set back on purpose.
        await app.Services.GetRequiredService<Stowage.Server.Features.GlobalConfigs.GlobalConfigStore>().UpdateAsync("image", "download.minimumSize", "0", CancellationToken.None);
        await app.StartAsync();
        return new StowageHost(app, dataDir, pgDatabase, clock);
    }

    public ZStackClient Client(string prefix = "/zstack/v1") => new(BaseAddress, prefix);

    public async Task StopAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync();
        }
        catch (ObjectDisposedException)
        {
        }

        if (_pgDatabase is not null && PostgresServer is { } server)
        {
            NpgsqlConnection.ClearAllPools();
            await using var conn = new NpgsqlConnection(server);
            await conn.OpenAsync();
            await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_pgDatabase} WITH (FORCE)", conn);
            await cmd.ExecuteNonQueryAsync();
        }

        try
        {
            Directory.Delete(_dataDir, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
