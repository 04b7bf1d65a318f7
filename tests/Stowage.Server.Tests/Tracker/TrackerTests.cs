using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Storage;
using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Server.Tests.Tracker;

/// <summary>The ping tracker driven by a fake clock and a fake storage type: no real waiting.</summary>
public sealed class TrackerTests
{
    private static async Task<(StowageHost Host, FakeDriver Driver, ZStackClient Client)> StartAsync(int backupStorages)
    {
        var driver = new FakeDriver();
        var dataDir = Directory.CreateTempSubdirectory("stowage-tracker-").FullName;
        // Rows exist before the server starts, as after a restart; boot must connect them all.
        var first = await StowageHost.StartAsync(dataDir: dataDir);
        await SeedAsync(first.Services.GetRequiredService<StowageDbContextFactory>(), backupStorages);
        await first.StopAsync();
        var host = await StowageHost.StartAsync(fakeClock: true, dataDir: dataDir, configure: s => s.AddSingleton<IBackupStorageDriver>(driver));
        var client = host.Client();
        await client.LoginAsync();
        return (host, driver, client);
    }

    private static async Task SeedAsync(StowageDbContextFactory factory, int count)
    {
        await using var db = factory.CreateDbContext();
        var now = DateTime.UtcNow;
        for (var i = 0; i < count; i++)
        {
            var uuid = Guid.NewGuid().ToString("N");
            db.Resources.Add(new ResourceEntity { Uuid = uuid, ResourceType = "BackupStorageVO", ResourceName = "fake" + i, CreateDate = now });
            db.BackupStorages.Add(new BackupStorageEntity
            {
                Uuid = uuid, Name = "fake" + i, Url = "/fake/" + i, Type = FakeDriver.TypeName, State = "Enabled", Status = "Connected", CreateDate = now, LastOpDate = now,
            });
        }

        await db.SaveChangesAsync();
    }

    private static async Task EventuallyAsync(Func<Task<bool>> condition, string what)
    {
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!await condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "timed out waiting for: " + what);
            await Task.Delay(10);
        }
    }

    private static async Task<List<BackupStorageEntity>> RowsAsync(StowageHost host)
    {
        await using var db = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        return [.. db.BackupStorages.AsEnumerable().OrderBy(b => b.Name, StringComparer.Ordinal)];
    }

    private static Task<ApiResponse> SetConfigAsync(ZStackClient client, string name, string value) =>
        client.UpdateGlobalConfigAsync("backupStorage", name, value);

    private static async Task NextRoundAsync(StowageHost host, TimeSpan advance)
    {
        var stats = host.Services.GetRequiredService<PingStats>();
        var before = stats.Rounds;
        host.Clock!.Advance(advance);
        await EventuallyAsync(() => Task.FromResult(stats.Rounds > before), "a ping round");
    }

    [Fact]
    public async Task A_lost_connection_is_checked_at_once_without_waiting_for_the_schedule()
    {
        var (host, driver, client) = await StartAsync(2);
        await using var _ = host;
        using var __ = client;
        await EventuallyAsync(async () => (await RowsAsync(host)).All(b => b.Status == "Connected") && driver.Connects.Count == 2, "boot connects");
        var rows = await RowsAsync(host);
        var (lost, other) = (rows[0].Uuid, rows[1].Uuid);
        driver.Failing[lost] = StorageFailure.Unreachable;

        driver.LoseConnection(lost);

        await EventuallyAsync(async () => (await RowsAsync(host))[0].Status == "Disconnected", "the lost one checked");
        Assert.Equal(1, driver.Pings.GetValueOrDefault(lost));
        Assert.Equal(0, driver.Pings.GetValueOrDefault(other));
        Assert.Equal("Connected", (await RowsAsync(host))[1].Status);
    }

    [Fact]
    public async Task Boot_connects_every_backup_storage_then_each_interval_pings_them()
    {
        var (host, driver, client) = await StartAsync(4);
        await using var _ = host;
        using var __ = client;
        await EventuallyAsync(async () => (await RowsAsync(host)).All(b => b.Status == "Connected") && driver.Connects.Count == 4, "boot connects");
        Assert.Empty(driver.Pings);

        await NextRoundAsync(host, TimeSpan.FromSeconds(60));
        Assert.Equal(4, driver.Pings.Count);
        Assert.All(await RowsAsync(host), b => Assert.Equal(700, b.AvailableCapacity));

        // Nothing happens before the interval is over.
        var pings = driver.Pings.Values.Sum();
        host.Clock!.Advance(TimeSpan.FromSeconds(30));
        await Task.Delay(100);
        Assert.Equal(pings, driver.Pings.Values.Sum());
    }

    [Fact]
    public async Task A_failed_ping_disconnects_with_the_reason_and_the_next_round_reconnects()
    {
        var (host, driver, client) = await StartAsync(2);
        await using var _ = host;
        using var __ = client;
        await EventuallyAsync(async () => (await RowsAsync(host)).All(b => b.Status == "Connected"), "boot");
        var victim = (await RowsAsync(host))[0].Uuid;
        driver.Failing[victim] = StorageFailure.Unreachable;

        await NextRoundAsync(host, TimeSpan.FromSeconds(60));
        var row = (await RowsAsync(host)).Single(b => b.Uuid == victim);
        Assert.Equal("Disconnected", row.Status);
        Assert.Equal("fake Unreachable", row.LastError);
        var inv = await client.QueryAsync("/backup-storage/" + victim);
        Assert.Equal("fake Unreachable", ZStackClient.Inventories(inv).Single()!["lastError"]!.GetValue<string>());

        await using (var db = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext())
        {
            Assert.Contains(db.BackupStorageEvents.Where(e => e.BackupStorageUuid == victim).AsEnumerable(), e => e.Path == "/backup-storage/disconnected" && e.Reason == "fake Unreachable");
            Assert.Contains(db.BackupStorageEvents.Where(e => e.BackupStorageUuid == victim).AsEnumerable(), e => e.Path == "/backup-storage/status/change" && e.OldStatus == "Connected" && e.NewStatus == "Disconnected");
        }

        var connects = driver.Connects[victim];
        await NextRoundAsync(host, TimeSpan.FromSeconds(60));
        Assert.Equal(connects + 1, driver.Connects[victim]);
        driver.Failing.TryRemove(victim, out StorageFailure _);
        await NextRoundAsync(host, TimeSpan.FromSeconds(60));
        Assert.Equal("Connected", (await RowsAsync(host)).Single(b => b.Uuid == victim).Status);
        Assert.Null(ZStackClient.Inventories(await client.QueryAsync("/backup-storage/" + victim)).Single()!["lastError"]);
    }

    [Fact]
    public async Task Host_key_mismatch_is_never_auto_reconnected_and_max_attempts_is_honoured()
    {
        var (host, driver, client) = await StartAsync(2);
        await using var _ = host;
        using var __ = client;
        await EventuallyAsync(async () => (await RowsAsync(host)).All(b => b.Status == "Connected"), "boot");
        var rows = await RowsAsync(host);
        driver.Failing[rows[0].Uuid] = StorageFailure.HostKeyMismatch;
        driver.Failing[rows[1].Uuid] = StorageFailure.Unreachable;
        Assert.Equal(HttpStatusCode.OK, (await SetConfigAsync(client, "connection.autoReconnectOnError.maxAttemptsNum", "2")).Status);

        for (var i = 0; i < 5; i++)
        {
            await NextRoundAsync(host, TimeSpan.FromSeconds(60));
        }

        Assert.Equal(1, driver.Connects[rows[0].Uuid]);
        Assert.Equal(1 + 2, driver.Connects[rows[1].Uuid]);
        Assert.All(await RowsAsync(host), b => Assert.Equal("Disconnected", b.Status));
    }

    [Fact]
    public async Task Parallelism_and_interval_changes_apply_on_the_next_round()
    {
        var (host, driver, client) = await StartAsync(10);
        await using var _ = host;
        using var __ = client;
        await EventuallyAsync(async () => (await RowsAsync(host)).All(b => b.Status == "Connected"), "boot");
        var stats = host.Services.GetRequiredService<PingStats>();
        Assert.Equal(HttpStatusCode.OK, (await SetConfigAsync(client, "ping.parallelismDegree", "3")).Status);

        foreach (var degree in new[] { 3, 7 })
        {
            if (degree == 7)
            {
                Assert.Equal(HttpStatusCode.OK, (await SetConfigAsync(client, "ping.parallelismDegree", "7")).Status);
            }

            driver.PingGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            stats.ResetMax();
            var before = stats.Rounds;
            host.Clock!.Advance(TimeSpan.FromSeconds(60));
            await EventuallyAsync(() => Task.FromResult(stats.InFlight == degree), $"{degree} pings in flight");
            await Task.Delay(50);
            Assert.Equal(degree, stats.MaxInFlight);
            driver.PingGate.SetResult();
            await EventuallyAsync(() => Task.FromResult(stats.Rounds > before), "round end");
            Assert.Equal(degree, stats.MaxInFlight);
        }

        driver.PingGate = null;
        Assert.Equal(HttpStatusCode.OK, (await SetConfigAsync(client, "ping.interval", "5")).Status);
        await NextRoundAsync(host, TimeSpan.FromSeconds(5));
        await NextRoundAsync(host, TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task A_hanging_ping_times_out_by_the_ping_timeout()
    {
        var (host, driver, client) = await StartAsync(1);
        await using var _ = host;
        using var __ = client;
        await EventuallyAsync(async () => (await RowsAsync(host)).All(b => b.Status == "Connected"), "boot");
        driver.PingGate = new TaskCompletionSource();
        var stats = host.Services.GetRequiredService<PingStats>();
        host.Clock!.Advance(TimeSpan.FromSeconds(60));
        await EventuallyAsync(() => Task.FromResult(stats.InFlight == 1), "ping in flight");
        host.Clock.Advance(TimeSpan.FromSeconds(10));
        await EventuallyAsync(async () => (await RowsAsync(host)).Single().Status == "Disconnected", "timeout");
        Assert.Contains("timed out", (await RowsAsync(host)).Single().LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rounds_start_on_the_interval_grid_even_when_a_round_is_slow()
    {
        var (host, driver, client) = await StartAsync(2);
        await using var _ = host;
        using var __ = client;
        await EventuallyAsync(async () => (await RowsAsync(host)).All(b => b.Status == "Connected"), "boot");
        Assert.Equal(HttpStatusCode.OK, (await SetConfigAsync(client, "ping.timeout", "100")).Status);
        var stats = host.Services.GetRequiredService<PingStats>();
        driver.PingGate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var before = stats.Rounds;

        // The round due at +60 s takes 30 s; the next one is still due at +120 s, not 60 s after it ended.
        host.Clock!.Advance(TimeSpan.FromSeconds(60));
        await EventuallyAsync(() => Task.FromResult(stats.InFlight == 2), "pings in flight");
        host.Clock.Advance(TimeSpan.FromSeconds(30));
        driver.PingGate.SetResult();
        await EventuallyAsync(() => Task.FromResult(stats.Rounds == before + 1), "slow round end");
        driver.PingGate = null;
        await NextRoundAsync(host, TimeSpan.FromSeconds(30));
        Assert.All(driver.Pings.Values, n => Assert.Equal(2, n));
    }

    [Fact]
    public async Task A_hung_ping_is_skipped_by_the_next_round_and_delays_no_other_backup_storage()
    {
        var (host, driver, client) = await StartAsync(4);
        await using var _ = host;
        using var __ = client;
        await EventuallyAsync(async () => (await RowsAsync(host)).All(b => b.Status == "Connected"), "boot");
        Assert.Equal(HttpStatusCode.OK, (await SetConfigAsync(client, "ping.timeout", "100")).Status);
        var stats = host.Services.GetRequiredService<PingStats>();
        var rows = await RowsAsync(host);
        var hung = rows[0].Uuid;
        driver.Hanging[hung] = true;
        var before = stats.Rounds;

        // Round 1 (+60 s): three answer, one hangs and keeps round 1 open.
        host.Clock!.Advance(TimeSpan.FromSeconds(60));
        await EventuallyAsync(() => Task.FromResult(driver.Pings.Values.Sum() == 4 && stats.InFlight == 1), "round 1 pings");

        // Round 2 (+120 s) starts on time, pings the three again and skips the one still in flight.
        host.Clock.Advance(TimeSpan.FromSeconds(60));
        await EventuallyAsync(() => Task.FromResult(stats.Rounds == before + 1), "round 2 ends while round 1 is still open");
        Assert.Equal(1, driver.Pings[hung]);
        Assert.All(rows.Skip(1), r => Assert.Equal(2, driver.Pings[r.Uuid]));
        Assert.Equal(1, stats.InFlight);

        // +160 s: the hung ping reaches ping.timeout, 100 s after it started; round 1 ends.
        host.Clock.Advance(TimeSpan.FromSeconds(40));
        await EventuallyAsync(() => Task.FromResult(stats.Rounds == before + 2), "round 1 end");
        var after = (await RowsAsync(host)).Single(b => b.Uuid == hung);
        Assert.Equal("Disconnected", after.Status);
        Assert.Contains("timed out after 100 s", after.LastError, StringComparison.Ordinal);
        Assert.All((await RowsAsync(host)).Where(b => b.Uuid != hung), b => Assert.Equal("Connected", b.Status));
    }

    [Fact]
    public async Task Parallelism_is_shared_by_overlapping_rounds()
    {
        var (host, driver, client) = await StartAsync(6);
        await using var _ = host;
        using var __ = client;
        await EventuallyAsync(async () => (await RowsAsync(host)).All(b => b.Status == "Connected"), "boot");
        Assert.Equal(HttpStatusCode.OK, (await SetConfigAsync(client, "ping.timeout", "1000")).Status);
        Assert.Equal(HttpStatusCode.OK, (await SetConfigAsync(client, "ping.parallelismDegree", "2")).Status);
        var stats = host.Services.GetRequiredService<PingStats>();
        // A round goes in uuid order: the last two hang, after the first four were pinged two at a time.
        var rows = (await RowsAsync(host)).OrderBy(b => b.Uuid, StringComparer.Ordinal).Reverse().ToList();
        driver.Hanging[rows[0].Uuid] = true;
        driver.Hanging[rows[1].Uuid] = true;
        stats.ResetMax();

        // The two hung pings hold both slots; the next round waits for them rather than exceed the degree.
        host.Clock!.Advance(TimeSpan.FromSeconds(60));
        await EventuallyAsync(() => Task.FromResult(stats.InFlight == 2), "two pings in flight");
        host.Clock.Advance(TimeSpan.FromSeconds(60));
        await Task.Delay(200);
        Assert.Equal(2, stats.MaxInFlight);
        Assert.Equal(6, driver.Pings.Values.Sum());

        // Raising the degree lets round 2's waiting checks run at once; the two hung ones are skipped, not pinged twice.
        Assert.Equal(HttpStatusCode.OK, (await SetConfigAsync(client, "ping.parallelismDegree", "10")).Status);
        await EventuallyAsync(() => Task.FromResult(driver.Pings.Values.Sum() == 10), "round 2 pings");
        Assert.Equal(1, driver.Pings[rows[0].Uuid]);
        Assert.Equal(1, driver.Pings[rows[1].Uuid]);
    }

    [Fact]
    public async Task Auto_reconnect_off_leaves_a_disconnected_backup_storage_alone()
    {
        var (host, driver, client) = await StartAsync(1);
        await using var _ = host;
        using var __ = client;
        await EventuallyAsync(async () => (await RowsAsync(host)).All(b => b.Status == "Connected"), "boot");
        var uuid = (await RowsAsync(host)).Single().Uuid;
        Assert.Equal(HttpStatusCode.OK, (await SetConfigAsync(client, "connection.autoReconnectOnError", "false")).Status);
        driver.Failing[uuid] = StorageFailure.Unreachable;
        await NextRoundAsync(host, TimeSpan.FromSeconds(60));
        driver.Failing.Clear();
        var connects = driver.Connects[uuid];
        await NextRoundAsync(host, TimeSpan.FromSeconds(60));
        await NextRoundAsync(host, TimeSpan.FromSeconds(60));
        Assert.Equal(connects, driver.Connects[uuid]);
        Assert.Equal("Disconnected", (await RowsAsync(host)).Single().Status);
    }
}
