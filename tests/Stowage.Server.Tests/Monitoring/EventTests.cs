using System.Net;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Monitoring;
using Stowage.Server.Storage;
using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Server.Tests.Monitoring;

/// <summary>Issue 19 item 5: capacity threshold events (crossed once, cleared once), the event query API and the retention of events.</summary>
public sealed class EventTests
{
    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Crossing_the_capacity_threshold_raises_one_event_and_falling_below_clears_it(Db db)
    {
        await using var host = await StowageHost.StartAsync(db, extraArgs: ["--default-backup-storage", "images"]);
        using var client = host.Client();
        await client.LoginAsync();
        var bs = Assert.Single(ZStackClient.Inventories(await client.QueryAsync("/backup-storage", "q=name=default")))!["uuid"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await client.UpdateGlobalConfigAsync("backupStorage", "ping.interval", "1")).Status);
        Assert.Equal("SYS.1007", (await client.UpdateGlobalConfigAsync("backupStorage", "capacity.alertThreshold", "101")).ErrorCode);

        // The test directory's filesystem is more than 1 % used and less than 100 %: 1 % is crossed, 100 % is not.
        Assert.Equal(HttpStatusCode.OK, (await client.UpdateGlobalConfigAsync("backupStorage", "capacity.alertThreshold", "1")).Status);
        var crossed = await WaitForEventAsync(client, bs, BackupStorageEvents.CapacityCrossedPath);
        Assert.Contains("capacity.alertThreshold is 1%", crossed["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        await WaitForPingsAsync(host, 1);
        Assert.Equal(HttpStatusCode.OK, (await client.UpdateGlobalConfigAsync("backupStorage", "capacity.alertThreshold", "100")).Status);
        await WaitForEventAsync(client, bs, BackupStorageEvents.CapacityClearedPath);
        await WaitForPingsAsync(host, 1);
        Assert.Single(ZStackClient.Inventories(await client.QueryAsync("/backup-storage/events", $"q=backupStorageUuid={bs}", $"q=path={BackupStorageEvents.CapacityCrossedPath}")));
        Assert.Single(ZStackClient.Inventories(await client.QueryAsync("/backup-storage/events", $"q=backupStorageUuid={bs}", $"q=path={BackupStorageEvents.CapacityClearedPath}")));

        // Each event is counted once in the metrics, too.
        var metrics = await new HttpClient { BaseAddress = host.BaseAddress }.GetStringAsync("/metrics");
        Assert.Contains($"stowage_events_total{{path=\"{BackupStorageEvents.CapacityCrossedPath}\"}} 1", metrics, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Events_past_the_retention_are_pruned_and_the_rest_stay_queryable(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        Assert.Equal(HttpStatusCode.OK, (await client.UpdateGlobalConfigAsync("backupStorage", "event.retention", "86400")).Status);
        var now = DateTime.UtcNow;
        await using (var ctx = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext())
        {
            // Rows of any path (the verification helper's too) and for a backup storage that no longer exists.
            ctx.BackupStorageEvents.Add(new BackupStorageEventEntity { BackupStorageUuid = new string('a', 32), Path = "/backup-storage/copy/corrupted", Reason = "old", CreateDate = now.AddDays(-2) });
            ctx.BackupStorageEvents.Add(new BackupStorageEventEntity { BackupStorageUuid = new string('a', 32), Path = "/backup-storage/copy/repaired", Reason = "new", CreateDate = now.AddHours(-1) });
            await ctx.SaveChangesAsync();
        }

        Assert.Equal(1, await host.Services.GetRequiredService<EventRetention>().PruneAsync(CancellationToken.None));
        var left = ZStackClient.Inventories(await client.QueryAsync("/backup-storage/events", $"q=backupStorageUuid={new string('a', 32)}"));
        Assert.Equal("new", Assert.Single(left)!["reason"]!.GetValue<string>());
        Assert.Equal("SYS.1007", (await client.QueryAsync("/backup-storage/events", "q=nosuchfield=1")).ErrorCode);
    }

    private static async Task<System.Text.Json.Nodes.JsonNode> WaitForEventAsync(ZStackClient client, string bs, string path)
    {
        System.Text.Json.Nodes.JsonNode? found = null;
        await WebhookTests.WaitForAsync(async () =>
        {
            found = ZStackClient.Inventories(await client.QueryAsync("/backup-storage/events", $"q=backupStorageUuid={bs}", $"q=path={path}")).FirstOrDefault();
            return found is not null;
        });
        return found!;
    }

    private static async Task WaitForPingsAsync(StowageHost host, int more)
    {
        var stats = host.Services.GetRequiredService<PingStats>();
        var target = stats.Pings + more;
        await WebhookTests.WaitForAsync(() => Task.FromResult(stats.Pings >= target && stats.InFlight == 0));
    }
}
