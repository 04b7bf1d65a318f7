using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Images;

/// <summary>AddImage with zoneUuid instead of backupStorageUuids: ZStack's allocator rules on real backup storages.</summary>
[Collection(StorageCollection.Name)]
public sealed class ImageAllocationTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [RootFact]
    public async Task Picks_the_only_enabled_connected_attached_backup_storage_with_room()
    {
        using var small = new SmallDisk(sshd, 8);
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        await ImageKit.SetConfigAsync(client, "backupStorage", "reservedCapacity", "0");
        var zone = await client.CreateZoneAsync("z1");
        var other = await client.CreateZoneAsync("z2");
        var good = await BsKit.AddOkAsync(client, sshd, sshd.NewPath(), "good");
        var full = await BsKit.AddOkAsync(client, sshd, small.Url, "small");
        var disabled = await BsKit.AddOkAsync(client, sshd, sshd.NewPath(), "disabled");
        var downUrl = sshd.NewPath();
        var down = await BsKit.AddOkAsync(client, sshd, downUrl, "down");
        var elsewhere = await BsKit.AddOkAsync(client, sshd, sshd.NewPath(), "elsewhere");
        foreach (var bs in new[] { good, full, disabled, down })
        {
            await AttachAsync(client, zone, bs);
        }

        await AttachAsync(client, other, elsewhere);
        Assert.Equal(HttpStatusCode.OK, (await BsKit.ActionAsync(client, $"/backup-storage/{disabled}/actions", "changeBackupStorageState", new JsonObject { ["stateEvent"] = "disable" })).Status);
        File.Delete(Path.Combine(downUrl, ".stowage-backup-storage"));
        Assert.NotEqual(HttpStatusCode.OK, (await BsKit.ActionAsync(client, $"/backup-storage/{down}/actions", "reconnectBackupStorage")).Status);

        var url = source.Add("ten.raw", ImageKit.RandomBytes(10 << 20));
        for (var i = 0; i < 3; i++)
        {
            var image = await AddInZoneOkAsync(client, url, zone, "img" + i);
            var copy = image["backupStorageRefs"]!.AsArray().Single()!;
            Assert.Equal(good, copy["backupStorageUuid"]!.GetValue<string>());
            Assert.Equal("Ready", copy["status"]!.GetValue<string>());
        }

        Assert.Equal(elsewhere, (await AddInZoneOkAsync(client, url, other, "there"))["backupStorageRefs"]![0]!["backupStorageUuid"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task Refuses_without_a_target_and_explains_why_no_backup_storage_fits(string type)
    {
        var storage = world[type];
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var zone = await client.CreateZoneAsync("z1");
        var empty = await client.CreateZoneAsync("z2");
        var bs = await storage.AddOkAsync(client, storage.NewLocation(), "only");
        await AttachAsync(client, zone, bs);
        var url = source.Add("one.raw", ImageKit.RandomBytes(2 << 20));

        var neither = await client.CallAsync(HttpMethod.Post, "/images", Body(url, null, null));
        Assert.Equal("SYS.1007", neither.ErrorCode);
        Assert.Contains("zoneUuid", neither.Body, StringComparison.Ordinal);
        Assert.Equal("SYS.1007", (await client.CallAsync(HttpMethod.Post, "/images", Body(url, zone, [bs]))).ErrorCode);
        Assert.Equal("SYS.1003", (await client.CallAsync(HttpMethod.Post, "/images", Body(url, "0123456789abcdef0123456789abcdef", null))).ErrorCode);

        var none = await client.CallAsync(HttpMethod.Post, "/images", Body(url, empty, null));
        Assert.Equal("BS.1003", none.ErrorCode);
        Assert.Contains("no backup storage is attached to the zone", none.Body, StringComparison.Ordinal);

        await ImageKit.SetConfigAsync(client, "backupStorage", "reservedCapacity", "1000T");
        var reserved = await client.CallAsync(HttpMethod.Post, "/images", Body(url, zone, null));
        Assert.Equal("BS.1003", reserved.ErrorCode);
        Assert.Equal("SYS.1006", reserved.Json!["error"]!["cause"]!["code"]!.GetValue<string>());
        Assert.Contains($"after subtracting reserved capacity, no backup storage has required capacity[{2 << 20} bytes]", reserved.Body, StringComparison.Ordinal);

        await ImageKit.SetConfigAsync(client, "backupStorage", "reservedCapacity", "0");
        Assert.Equal(HttpStatusCode.OK, (await BsKit.ActionAsync(client, $"/backup-storage/{bs}/actions", "changeBackupStorageState", new JsonObject { ["stateEvent"] = "disable" })).Status);
        var disabled = await client.CallAsync(HttpMethod.Post, "/images", Body(url, zone, null));
        Assert.Equal("BS.1003", disabled.ErrorCode);
        Assert.Contains($"no backup storage that satisfies conditions[available capacity > {2 << 20} bytes, status = Connected, state = Enabled, attached zone uuid={zone}] found", disabled.Body, StringComparison.Ordinal);
        Assert.Contains($"backup storage[uuid:{bs}, name:only]: state is Disabled", disabled.Body, StringComparison.Ordinal);
        Assert.Empty(await ImageKit.QueryAsync(client));
    }

    private static JsonObject Body(string url, string? zone, string[]? bss)
    {
        var p = new JsonObject { ["name"] = "img", ["url"] = url };
        if (zone is not null)
        {
            p["zoneUuid"] = zone;
        }

        if (bss is not null)
        {
            p["backupStorageUuids"] = new JsonArray([.. bss.Select(b => JsonValue.Create(b))]);
        }

        return new JsonObject { ["params"] = p };
    }

    private static async Task<JsonNode> AddInZoneOkAsync(ZStackClient client, string url, string zone, string name)
    {
        var body = Body(url, zone, null);
        body["params"]!["name"] = name;
        var r = await client.CallAsync(HttpMethod.Post, "/images", body);
        Assert.True(r.Status == HttpStatusCode.OK, r.ToString());
        return r.Json!["inventory"]!;
    }

    private static async Task AttachAsync(ZStackClient client, string zone, string bs)
    {
        var r = await client.CallAsync(HttpMethod.Post, $"/zones/{zone}/backup-storage/{bs}", new JsonObject { ["params"] = new JsonObject() });
        Assert.True(r.Status == HttpStatusCode.OK, r.ToString());
    }
}
