using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.BackupStorage;

[Collection(StorageCollection.Name)]
public sealed class BackupStorageLifecycleTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    public static TheoryData<string, string> TypesAndDeleteModes
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var type in StorageWorld.Types)
            {
                data.Add(type, "Permissive");
                data.Add(type, "Enforcing");
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(TypesAndDeleteModes))]
    public async Task Delete_removes_rows_tags_refs_and_marker_and_is_idempotent(string type, string mode)
    {
        var storage = world[type];
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var (uuid, location) = await storage.AddNewAsync(client);
        var url = location.LocalPath;
        var zone = await client.CreateZoneAsync("z1");
        Assert.Equal(HttpStatusCode.OK, (await client.CallAsync(HttpMethod.Post, $"/zones/{zone}/backup-storage/{uuid}")).Status);
        var tag = await client.CallAsync(HttpMethod.Post, "/user-tags", new JsonObject { ["params"] = new JsonObject { ["resourceType"] = "BackupStorageVO", ["resourceUuid"] = uuid, ["tag"] = "lab1" } });
        Assert.Equal(HttpStatusCode.OK, tag.Status);

        Assert.Equal(HttpStatusCode.OK, (await client.CallAsync(HttpMethod.Delete, $"/backup-storage/{uuid}?deleteMode={mode}")).Status);
        Assert.Equal(0, await BsKit.CountAsync(client));
        Assert.Empty(ZStackClient.Inventories(await client.QueryAsync("/user-tags", "q=resourceUuid=" + uuid)));
        Assert.False(File.Exists(Path.Combine(url, ".stowage-backup-storage")));
        Assert.Single(ZStackClient.Inventories(await client.QueryAsync("/zones")));
        Assert.Equal(HttpStatusCode.OK, (await client.CallAsync(HttpMethod.Delete, $"/backup-storage/{uuid}")).Status);
    }

    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task State_changes_are_idempotent_and_need_no_connection(string type)
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var (uuid, _) = await world[type].AddNewAsync(client);
        foreach (var (ev, expected) in new[] { ("disable", "Disabled"), ("disable", "Disabled"), ("ENABLE", "Enabled"), ("enable", "Enabled") })
        {
            var r = await BsKit.ActionAsync(client, $"/backup-storage/{uuid}/actions", "changeBackupStorageState", new JsonObject { ["stateEvent"] = ev });
            Assert.Equal(expected, r.Json!["inventory"]!["state"]!.GetValue<string>());
        }

        Assert.Equal("SYS.1007", (await BsKit.ActionAsync(client, $"/backup-storage/{uuid}/actions", "changeBackupStorageState", new JsonObject { ["stateEvent"] = "pause" })).ErrorCode);
        Assert.Equal("SYS.1003", (await BsKit.ActionAsync(client, $"/backup-storage/{new string('a', 32)}/actions", "changeBackupStorageState", new JsonObject { ["stateEvent"] = "enable" })).ErrorCode);
    }

    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task Attach_detach_rules_queries_and_zone_deletion(string type)
    {
        var storage = world[type];
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var (bs, _) = await storage.AddNewAsync(client, "bs-a");
        var z1 = await client.CreateZoneAsync("zone1");
        var z2 = await client.CreateZoneAsync("zone2");
        var attach = await client.CallAsync(HttpMethod.Post, $"/zones/{z1}/backup-storage/{bs}");
        Assert.Equal([z1], attach.Json!["inventory"]!["attachedZoneUuids"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal("SYS.1006", (await client.CallAsync(HttpMethod.Post, $"/zones/{z1}/backup-storage/{bs}")).ErrorCode);
        await client.CallAsync(HttpMethod.Post, $"/zones/{z2}/backup-storage/{bs}", new JsonObject { ["params"] = new JsonObject() });

        Assert.Single(ZStackClient.Inventories(await client.QueryAsync("/backup-storage", "q=zone.name=zone2")));
        Assert.Single(ZStackClient.Inventories(await client.QueryAsync("/backup-storage", "q=attachedZoneUuids=" + z1)));
        Assert.Empty(ZStackClient.Inventories(await client.QueryAsync("/backup-storage", "q=zone.name=nope")));
        Assert.Equal(2, ZStackClient.Inventories(await client.QueryAsync("/zones", "q=backupStorage.name=bs-a")).Count);
        var ofType = await client.QueryAsync(storage.ApiPath, "q=zone.name=zone2");
        Assert.Single(ZStackClient.Inventories(ofType));
        Assert.Equal(storage.InventoryClass, ofType.Json!["schema"]!["inventories[0]"]!.GetValue<string>());

        var capacity = await client.QueryAsync("/backup-storage/capacities", "zoneUuids=" + z1, "zoneUuids=" + z2, "backupStorageUuids=" + bs);
        var inv = await BsKit.GetAsync(client, bs);
        Assert.Equal(inv["totalCapacity"]!.GetValue<long>(), capacity.Json!["totalCapacity"]!.GetValue<long>());
        Assert.Equal("SYS.1007", (await client.QueryAsync("/backup-storage/capacities")).ErrorCode);

        Assert.Equal([z2], (await client.CallAsync(HttpMethod.Delete, $"/zones/{z1}/backup-storage/{bs}")).Json!["inventory"]!["attachedZoneUuids"]!.AsArray().Select(x => x!.GetValue<string>()));
        Assert.Equal("SYS.1006", (await client.CallAsync(HttpMethod.Delete, $"/zones/{z1}/backup-storage/{bs}")).ErrorCode);
        Assert.Equal("SYS.1003", (await client.CallAsync(HttpMethod.Post, $"/zones/{new string('b', 32)}/backup-storage/{bs}")).ErrorCode);

        Assert.Equal(HttpStatusCode.OK, (await client.CallAsync(HttpMethod.Delete, $"/zones/{z2}")).Status);
        Assert.Empty((await BsKit.GetAsync(client, bs))["attachedZoneUuids"]!.AsArray());
    }

    [Fact]
    public async Task Update_with_bad_connection_settings_rolls_back_and_good_ones_apply()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var uuid = await BsKit.AddOkAsync(client, sshd, sshd.NewPath());
        var path = $"/backup-storage/sftp/{uuid}/actions";

        var bad = await BsKit.ActionAsync(client, path, "updateSftpBackupStorage", new JsonObject { ["password"] = "definitely-wrong", ["name"] = "renamed" });
        Assert.Equal("SYS.1006", bad.ErrorCode);
        var after = await BsKit.GetAsync(client, uuid);
        Assert.Equal("bs1", after["name"]!.GetValue<string>());
        Assert.Equal("Connected", after["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await BsKit.ActionAsync(client, path, "reconnectSftpBackupStorage")).Status);

        var badPort = await BsKit.ActionAsync(client, path, "updateSftpBackupStorage", new JsonObject { ["sshPort"] = SshdFixture.FreePort() });
        Assert.Equal("SYS.1006", badPort.ErrorCode);
        Assert.Equal(sshd.Port, (await BsKit.GetAsync(client, uuid))["sshPort"]!.GetValue<int>());

        var good = await BsKit.ActionAsync(client, path, "updateSftpBackupStorage", new JsonObject { ["sshKey"] = sshd.PrivateKey, ["description"] = "by key" });
        Assert.Equal(HttpStatusCode.OK, good.Status);
        Assert.Equal("by key", good.Json!["inventory"]!["description"]!.GetValue<string>());
        var renamed = await BsKit.ActionAsync(client, $"/backup-storage/{uuid}/actions", "updateBackupStorage", new JsonObject { ["name"] = "renamed" });
        Assert.Equal("renamed", renamed.Json!["inventory"]!["name"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.OK, (await BsKit.ActionAsync(client, $"/backup-storage/{uuid}/actions", "reconnectBackupStorage")).Status);
    }

    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task Reconnect_fails_when_the_marker_was_replaced_and_shows_why(string type)
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var (uuid, location) = await world[type].AddNewAsync(client);
        await world[type].PlantAsync(location, location.Url + "/.stowage-backup-storage", System.Text.Encoding.UTF8.GetBytes(new string('c', 32) + "\n"));
        var r = await BsKit.ActionAsync(client, $"/backup-storage/{uuid}/actions", "reconnectBackupStorage");
        Assert.Equal("BS.1500", r.ErrorCode);
        var inv = await BsKit.GetAsync(client, uuid);
        Assert.Equal("Disconnected", inv["status"]!.GetValue<string>());
        Assert.Contains("another backup storage", inv["lastError"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(StorageWorld.Types), MemberType = typeof(StorageWorld))]
    public async Task A_reconnect_after_the_directory_vanished_disconnects_and_does_not_recreate_it(string type)
    {
        // A vanished directory may be a mount point whose filesystem is missing: re-creating it would write there.
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var (uuid, location) = await world[type].AddNewAsync(client);
        Directory.Delete(location.LocalPath, recursive: true);

        var r = await BsKit.ActionAsync(client, $"/backup-storage/{uuid}/actions", "reconnectBackupStorage");
        // NFS-Ganesha keeps answering for a directory removed behind its back from its cache for a while: there the
        // reason is the failed write probe's "no such file or directory" rather than "does not exist".
        Assert.True(r.ErrorCode == "BS.1500" && (r.Body.Contains("does not exist", StringComparison.Ordinal)
            || (type == NfsStorageFixture.TypeName && r.Body.Contains("no such file or directory", StringComparison.Ordinal))), r.Body);
        Assert.Equal("Disconnected", (await BsKit.GetAsync(client, uuid))["status"]!.GetValue<string>());
        Assert.False(Directory.Exists(location.LocalPath), "a known backup storage's directory is not re-created on reconnect");
    }

    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task A_broken_storage_fails_the_reconnect_with_the_reason_and_a_restored_one_reconnects(string type)
    {
        var storage = world[type];
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var (uuid, _) = await storage.AddNewAsync(client);
        await storage.BreakAsync();
        try
        {
            var r = await BsKit.ActionAsync(client, $"/backup-storage/{uuid}/actions", "reconnectBackupStorage");
            Assert.Equal("BS.1500", r.ErrorCode);
            var down = await BsKit.GetAsync(client, uuid);
            Assert.Equal("Disconnected", down["status"]!.GetValue<string>());
            Assert.False(string.IsNullOrEmpty(down["lastError"]?.GetValue<string>()));
        }
        finally
        {
            await storage.RestoreAsync();
        }

        Assert.Equal(HttpStatusCode.OK, (await BsKit.ActionAsync(client, $"/backup-storage/{uuid}/actions", "reconnectBackupStorage")).Status);
        var up = await BsKit.GetAsync(client, uuid);
        Assert.Equal("Connected", up["status"]!.GetValue<string>());
        Assert.Null(up["lastError"]);
    }

    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task Concurrent_calls_on_one_backup_storage_leave_a_serial_state(string type)
    {
        var storage = world[type];
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var (uuid, _) = await storage.AddNewAsync(client);
        var reconnect = "reconnect" + storage.Type;
        var calls = Enumerable.Range(0, 12).Select(i => (i % 3) switch
        {
            0 => BsKit.ActionAsync(client, $"/backup-storage/{uuid}/actions", "updateBackupStorage", new JsonObject { ["description"] = "d" + i }),
            1 => BsKit.ActionAsync(client, $"/backup-storage/{uuid}/actions", "changeBackupStorageState", new JsonObject { ["stateEvent"] = i % 2 == 0 ? "enable" : "disable" }),
            _ => BsKit.ActionAsync(client, $"{storage.ApiPath}/{uuid}/actions", reconnect),
        }).ToList();
        var results = await Task.WhenAll(calls);
        Assert.All(results, r => Assert.Equal(HttpStatusCode.OK, r.Status));
        var final = await BsKit.GetAsync(client, uuid);
        Assert.Equal("Connected", final["status"]!.GetValue<string>());
        Assert.StartsWith("d", final["description"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains(storage.Type, (await client.QueryAsync("/backup-storage/types")).Json!["types"]!.AsArray().Select(t => t!.GetValue<string>()));
    }
}
