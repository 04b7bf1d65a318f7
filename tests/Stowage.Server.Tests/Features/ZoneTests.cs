using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.Protocol;

namespace Stowage.Server.Tests.Features;

/// <summary>CreateZone, UpdateZone, ChangeZoneState, DeleteZone and QueryZone.</summary>
public sealed class ZoneTests
{
    private static JsonObject Create(string name, Action<JsonObject>? more = null)
    {
        var p = new JsonObject { ["name"] = name };
        more?.Invoke(p);
        return new JsonObject { ["params"] = p };
    }

    private static async Task<JsonNode> InventoryAsync(ZStackClient client, HttpMethod method, string path, JsonNode? body = null)
    {
        var r = await client.CallAsync(method, path, body);
        Wire.AssertOk(r);
        return r.Json!["inventory"]!;
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task CreateZone_returns_a_full_inventory_and_honours_resourceUuid(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var wanted = Guid.NewGuid().ToString("N");
        var zone = await InventoryAsync(client, HttpMethod.Post, "/zones", Create("zone 1", p => { p["description"] = "first"; p["resourceUuid"] = wanted; }));
        Assert.Equal(wanted, zone["uuid"]!.GetValue<string>());
        Assert.Equal("zone 1", zone["name"]!.GetValue<string>());
        Assert.Equal("first", zone["description"]!.GetValue<string>());
        Assert.Equal("Enabled", zone["state"]!.GetValue<string>());
        Assert.Equal("zstack", zone["type"]!.GetValue<string>());
        Assert.False(zone["isDefault"]!.GetValue<bool>());
        Wire.AssertDate(zone["createDate"]);
        Wire.AssertDate(zone["lastOpDate"]);

        var byUuid = await client.QueryAsync("/zones/" + wanted);
        Assert.Equal(zone.ToJsonString(), ZStackClient.Inventories(byUuid).Single()!.ToJsonString());

        // A taken uuid is an argument error, not a crash; so is a malformed one.
        Wire.AssertError(await client.CallAsync(HttpMethod.Post, "/zones", Create("again", p => p["resourceUuid"] = wanted)), HttpStatusCode.ServiceUnavailable, "SYS.1007");
        Wire.AssertError(await client.CallAsync(HttpMethod.Post, "/zones", Create("bad", p => p["resourceUuid"] = "NOT-A-UUID")), HttpStatusCode.ServiceUnavailable, "SYS.1007");

        // Names need not be unique, as in ZStack.
        await client.CreateZoneAsync("zone 1");
        Assert.Equal(2, ZStackClient.Inventories(await client.QueryAsync("/zones", "q=name=zone 1")).Count);
    }

    [Fact]
    public async Task Zone_names_follow_the_sdk_rule()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        foreach (var bad in new[] { "", " leading", "trailing ", "a/b", "semi;colon", "new\nline", "tab\tname" })
        {
            Wire.AssertError(await client.CallAsync(HttpMethod.Post, "/zones", Create(bad)), HttpStatusCode.ServiceUnavailable, "SYS.1007");
        }

        foreach (var good in new[] { "a", "Zone-1_a.b (x):y+\"q\"", "区域一", "inner  spaces" })
        {
            var r = await client.CallAsync(HttpMethod.Post, "/zones", Create(good));
            Assert.True(r.Status == HttpStatusCode.OK, $"{good}: {r}");
            Assert.Equal(good, r.Json!["inventory"]!["name"]!.GetValue<string>());
        }

        Assert.Equal(4, ZStackClient.Inventories(await client.QueryAsync("/zones")).Count);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Names_and_descriptions_have_length_limits(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        Wire.AssertOk(await client.CallAsync(HttpMethod.Post, "/zones", Create(new string('n', 255), p => p["description"] = new string('d', 2048))));
        Wire.AssertError(await client.CallAsync(HttpMethod.Post, "/zones", Create(new string('n', 256))), HttpStatusCode.ServiceUnavailable, "SYS.1007");
        Wire.AssertError(await client.CallAsync(HttpMethod.Post, "/zones", Create("z", p => p["description"] = new string('d', 2049))), HttpStatusCode.ServiceUnavailable, "SYS.1007");
        Wire.AssertError(await client.CallAsync(HttpMethod.Post, "/zones", Create("z", p => p["isDefault"] = "yes")), HttpStatusCode.ServiceUnavailable, "SYS.1007");
        Wire.AssertError(await client.CallAsync(HttpMethod.Post, "/zones", Create("z", p => p["colour"] = "red")), HttpStatusCode.ServiceUnavailable, "SYS.1007");
        Wire.AssertError(await client.CallAsync(HttpMethod.Post, "/zones", Create("nul\u0000")), HttpStatusCode.ServiceUnavailable, "SYS.1007");
        Assert.Single(ZStackClient.Inventories(await client.QueryAsync("/zones")));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Only_one_zone_is_the_default(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var a = (await InventoryAsync(client, HttpMethod.Post, "/zones", Create("a", p => p["isDefault"] = true)))["uuid"]!.GetValue<string>();
        var b = (await InventoryAsync(client, HttpMethod.Post, "/zones", Create("b", p => p["isDefault"] = true)))["uuid"]!.GetValue<string>();
        await client.CreateZoneAsync("c");
        Assert.Equal([b], await DefaultsAsync());

        var updated = await InventoryAsync(client, HttpMethod.Put, $"/zones/{a}/actions", new JsonObject { ["updateZone"] = new JsonObject { ["isDefault"] = true } });
        Assert.True(updated["isDefault"]!.GetValue<bool>());
        Assert.Equal([a], await DefaultsAsync());

        await InventoryAsync(client, HttpMethod.Put, $"/zones/{a}/actions", new JsonObject { ["updateZone"] = new JsonObject { ["isDefault"] = false } });
        Assert.Empty(await DefaultsAsync());

        async Task<List<string>> DefaultsAsync() =>
            [.. ZStackClient.Inventories(await client.QueryAsync("/zones", "q=isDefault=true")).Select(z => z!["uuid"]!.GetValue<string>())];
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task UpdateZone_and_ChangeZoneState_change_what_they_say(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var uuid = await client.CreateZoneAsync("before", "desc");
        var path = $"/zones/{uuid}/actions";
        var renamed = await InventoryAsync(client, HttpMethod.Put, path, new JsonObject { ["updateZone"] = new JsonObject { ["name"] = "after" } });
        Assert.Equal("after", renamed["name"]!.GetValue<string>());
        Assert.Equal("desc", renamed["description"]!.GetValue<string>());
        var described = await InventoryAsync(client, HttpMethod.Put, path, new JsonObject { ["updateZone"] = new JsonObject { ["description"] = "new" } });
        Assert.Equal(("after", "new"), (described["name"]!.GetValue<string>(), described["description"]!.GetValue<string>()));
        Wire.AssertError(await client.CallAsync(HttpMethod.Put, path, new JsonObject { ["updateZone"] = new JsonObject { ["name"] = " bad" } }), HttpStatusCode.ServiceUnavailable, "SYS.1007");

        Assert.Equal("Disabled", (await InventoryAsync(client, HttpMethod.Put, path, new JsonObject { ["changeZoneState"] = new JsonObject { ["stateEvent"] = "DISABLE" } }))["state"]!.GetValue<string>());
        Assert.Single(ZStackClient.Inventories(await client.QueryAsync("/zones", "q=state=Disabled")));
        Assert.Equal("Enabled", (await InventoryAsync(client, HttpMethod.Put, path, new JsonObject { ["changeZoneState"] = new JsonObject { ["stateEvent"] = "enable" } }))["state"]!.GetValue<string>());
        Wire.AssertError(await client.CallAsync(HttpMethod.Put, path, new JsonObject { ["changeZoneState"] = new JsonObject { ["stateEvent"] = "pause" } }), HttpStatusCode.ServiceUnavailable, "SYS.1007");
        Wire.AssertError(await client.CallAsync(HttpMethod.Put, path, new JsonObject { ["changeZoneState"] = new JsonObject() }), HttpStatusCode.ServiceUnavailable, "SYS.1007");

        var ghost = $"/zones/{Guid.NewGuid():N}/actions";
        Wire.AssertError(await client.CallAsync(HttpMethod.Put, ghost, new JsonObject { ["updateZone"] = new JsonObject { ["name"] = "x" } }), HttpStatusCode.ServiceUnavailable, "SYS.1003");
        Wire.AssertError(await client.CallAsync(HttpMethod.Put, ghost, new JsonObject { ["changeZoneState"] = new JsonObject { ["stateEvent"] = "enable" } }), HttpStatusCode.ServiceUnavailable, "SYS.1003");
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task DeleteZone_is_idempotent_and_removes_the_zones_tags(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var uuid = await client.CreateZoneAsync("doomed", userTags: ["u1"]);
        var keep = await client.CreateZoneAsync("kept", userTags: ["u1"]);
        Wire.AssertOk(await client.CallAsync(HttpMethod.Post, "/system-tags",
            new JsonObject { ["params"] = new JsonObject { ["resourceType"] = "ZoneVO", ["resourceUuid"] = uuid, ["tag"] = "sys::x" } }));
        Assert.Equal(2, ZStackClient.Inventories(await client.QueryAsync("/tags", "q=resourceUuid=" + uuid)).Count);

        var deleted = await client.CallAsync(HttpMethod.Delete, $"/zones/{uuid}?deleteMode=Permissive");
        Wire.AssertOk(deleted);
        Assert.Equal("{}", deleted.Body);
        Assert.Empty(ZStackClient.Inventories(await client.QueryAsync("/zones/" + uuid)));
        Assert.Empty(ZStackClient.Inventories(await client.QueryAsync("/tags", "q=resourceUuid=" + uuid)));
        Assert.Single(ZStackClient.Inventories(await client.QueryAsync("/tags", "q=resourceUuid=" + keep)));

        Wire.AssertOk(await client.CallAsync(HttpMethod.Delete, $"/zones/{uuid}"));
        Wire.AssertOk(await client.CallAsync(HttpMethod.Delete, $"/zones/{Guid.NewGuid():N}?deleteMode=Enforcing"));
        Wire.AssertError(await client.CallAsync(HttpMethod.Delete, $"/zones/{keep}?deleteMode=Sometimes"), HttpStatusCode.ServiceUnavailable, "SYS.1007");
        Wire.AssertError(await client.CallAsync(HttpMethod.Delete, "/zones/NOTAUUID"), HttpStatusCode.ServiceUnavailable, "SYS.1007");

        // The uuid is free again once the zone is gone.
        var reborn = await InventoryAsync(client, HttpMethod.Post, "/zones", Create("reborn", p => p["resourceUuid"] = uuid));
        Assert.Equal(uuid, reborn["uuid"]!.GetValue<string>());
    }
}
