using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Tracker;

/// <summary>The tracker end to end against a real sshd of its own (stopped and started by the test).</summary>
public sealed class TrackerSshdTests : IAsyncLifetime
{
    private readonly SshdFixture _sshd = new();

    public Task InitializeAsync() => _sshd.InitializeAsync();

    public Task DisposeAsync() => _sshd.DisposeAsync();

    private static async Task<JsonNode> WaitForStatusAsync(ZStackClient client, string uuid, string status, TimeSpan within)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            var inv = await BsKit.GetAsync(client, uuid);
            if (inv["status"]!.GetValue<string>() == status)
            {
                return inv;
            }

            Assert.True(sw.Elapsed < within, $"still {inv["status"]} after {within}: {inv}");
            await Task.Delay(100);
        }
    }

    private static Task<ApiResponse> SetConfigAsync(ZStackClient client, string name, string value) =>
        client.UpdateGlobalConfigAsync("backupStorage", name, value);

    [Fact]
    public async Task Stopped_sshd_is_detected_within_interval_plus_timeout_and_comes_back_by_itself()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var uuid = await BsKit.AddOkAsync(client, _sshd, _sshd.NewPath());
        Assert.Equal(HttpStatusCode.OK, (await SetConfigAsync(client, "ping.timeout", "2")).Status);
        Assert.Equal(HttpStatusCode.OK, (await SetConfigAsync(client, "ping.interval", "1")).Status);

        _sshd.Stop();
        var down = await WaitForStatusAsync(client, uuid, "Disconnected", TimeSpan.FromSeconds(1 + 2 + 2));
        Assert.False(string.IsNullOrEmpty(down["lastError"]?.GetValue<string>()));

        await _sshd.StartAsync();
        var up = await WaitForStatusAsync(client, uuid, "Connected", TimeSpan.FromSeconds(15));
        Assert.True(up["totalCapacity"]!.GetValue<long>() > 0);
        Assert.Null(up["lastError"]);
    }

    [Fact]
    public async Task A_connection_the_host_closes_is_checked_at_once_not_at_the_next_scheduled_ping()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var uuid = await BsKit.AddOkAsync(client, _sshd, _sshd.NewPath());
        Assert.Equal(HttpStatusCode.OK, (await SetConfigAsync(client, "ping.interval", "600")).Status);

        // The whole sshd goes (listener and the session process of the pooled connection): the host closes
        // the connection, and no scheduled ping is due for ten minutes.
        var sw = Stopwatch.StartNew();
        _sshd.Stop();
        var down = await WaitForStatusAsync(client, uuid, "Disconnected", TimeSpan.FromSeconds(15));
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(15));
        Assert.False(string.IsNullOrEmpty(down["lastError"]?.GetValue<string>()));
    }

    [Fact]
    public async Task Many_connections_closed_together_are_all_checked_at_once()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var uuids = new List<string>();
        for (var i = 0; i < 20; i++)
        {
            uuids.Add(await BsKit.AddOkAsync(client, _sshd, _sshd.NewPath(), "bs" + i));
        }

        Assert.Equal(HttpStatusCode.OK, (await SetConfigAsync(client, "ping.interval", "600")).Status);
        var sw = Stopwatch.StartNew();
        _sshd.Stop();
        Console.WriteLine($"sshd stopped after {sw.Elapsed.TotalSeconds:F2} s");
        while (await BsKit.CountAsync(client, "status=Disconnected") < uuids.Count)
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(20))
            {
                var all = ZStackClient.Inventories(await client.QueryAsync("/backup-storage"));
                Assert.Fail("not all Disconnected after 20 s: " + string.Join("\n", all.Select(b => $"{b!["status"]} {b["lastError"]}")));
            }

            await Task.Delay(50);
        }

        Console.WriteLine($"20 backup storages Disconnected {sw.Elapsed.TotalSeconds:F2} s after sshd stopped");
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task A_directory_that_lost_its_write_permission_goes_disconnected_not_writable()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var url = _sshd.NewPath();
        var uuid = await BsKit.AddOkAsync(client, _sshd, url);
        Assert.Equal(HttpStatusCode.OK, (await SetConfigAsync(client, "ping.timeout", "2")).Status);
        Assert.Equal(HttpStatusCode.OK, (await SetConfigAsync(client, "ping.interval", "1")).Status);

        // The marker is still there and readable; only the directory's write bit is gone.
        Proc.Run("chmod", "500", url);
        try
        {
            var down = await WaitForStatusAsync(client, uuid, "Disconnected", TimeSpan.FromSeconds(1 + 2 + 2));
            Assert.Contains("not writable", down["lastError"]!.GetValue<string>(), StringComparison.Ordinal);
        }
        finally
        {
            Proc.Run("chmod", "755", url);
        }

        await WaitForStatusAsync(client, uuid, "Connected", TimeSpan.FromSeconds(15));
    }

    [Fact]
    public async Task Restart_with_the_host_down_answers_at_once_and_settles_disconnected()
    {
        var dataDir = Directory.CreateTempSubdirectory("stowage-restart-").FullName;
        string uuid;
        // Stopped, not disposed: disposing would delete the data directory the second start needs.
        var previous = await StowageHost.StartAsync(dataDir: dataDir);
        using (var c1 = previous.Client())
        {
            await c1.LoginAsync();
            uuid = await BsKit.AddOkAsync(c1, _sshd, _sshd.NewPath());
            Assert.Equal(HttpStatusCode.OK, (await SetConfigAsync(c1, "ping.timeout", "2")).Status);
        }

        await previous.StopAsync();

        _sshd.Stop();
        await using var host = await StowageHost.StartAsync(dataDir: dataDir);
        var sw = Stopwatch.StartNew();
        using var client = host.Client();
        await client.LoginAsync();
        var first = await BsKit.GetAsync(client, uuid);

        // Bounded by the time of two API calls, not by the boot connects (up to 3 × ping.timeout each).
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(5), "the API must answer while boot connects run");
        Assert.Contains(first["status"]!.GetValue<string>(), new[] { "Connecting", "Disconnected" });
        await WaitForStatusAsync(client, uuid, "Disconnected", TimeSpan.FromSeconds(15));
    }
}
