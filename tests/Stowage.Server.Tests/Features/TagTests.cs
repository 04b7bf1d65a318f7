using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.Protocol;

namespace Stowage.Server.Tests.Features;

/// <summary>CreateUserTag, CreateSystemTag, UpdateSystemTag, DeleteTag and the three tag queries.</summary>
public sealed class TagTests
{
    private static JsonObject TagBody(string resourceType, string resourceUuid, string tag) =>
        new() { ["params"] = new JsonObject { ["resourceType"] = resourceType, ["resourceUuid"] = resourceUuid, ["tag"] = tag } };

    private static List<string> Texts(ApiResponse r) => [.. ZStackClient.Inventories(r).Select(t => t!["tag"]!.GetValue<string>()).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task User_and_system_tags_are_created_on_existing_resources(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var zone = await client.CreateZoneAsync("z");

        var user = await client.CallAsync(HttpMethod.Post, "/user-tags", TagBody("ZoneVO", zone, "owner::alice"));
        Wire.AssertOk(user);
        var inv = user.Json!["inventory"]!.AsObject();
        Assert.Equal(("User", "ZoneVO", zone, "owner::alice"), (inv["type"]!.GetValue<string>(), inv["resourceType"]!.GetValue<string>(), inv["resourceUuid"]!.GetValue<string>(), inv["tag"]!.GetValue<string>()));
        Assert.False(inv.ContainsKey("inherent"));
        Assert.Matches("^[0-9a-f]{32}$", inv["uuid"]!.GetValue<string>());
        Wire.AssertDate(inv["createDate"]);
        Wire.AssertDate(inv["lastOpDate"]);
        Assert.Equal("org.zstack.header.tag.UserTagInventory", user.Json!["schema"]!["inventory"]!.GetValue<string>());

        var system = await client.CallAsync(HttpMethod.Post, "/system-tags", TagBody("ZoneVO", zone, "sys::mode::fast"));
        Wire.AssertOk(system);
        Assert.Equal("System", system.Json!["inventory"]!["type"]!.GetValue<string>());
        Assert.False(system.Json!["inventory"]!["inherent"]!.GetValue<bool>());
        Assert.Equal("org.zstack.header.tag.SystemTagInventory", system.Json!["schema"]!["inventory"]!.GetValue<string>());

        // The same text may be a user tag and a system tag, but not twice of one kind.
        Wire.AssertOk(await client.CallAsync(HttpMethod.Post, "/system-tags", TagBody("ZoneVO", zone, "owner::alice")));
        Wire.AssertError(await client.CallAsync(HttpMethod.Post, "/user-tags", TagBody("ZoneVO", zone, "owner::alice")), HttpStatusCode.ServiceUnavailable, "SYS.1007");
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Bad_tag_requests_get_the_right_error_codes(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var zone = await client.CreateZoneAsync("z");
        foreach (var path in new[] { "/user-tags", "/system-tags" })
        {
            Wire.AssertError(await client.CallAsync(HttpMethod.Post, path, TagBody("VmInstanceVO", zone, "t")), HttpStatusCode.ServiceUnavailable, "SYS.1007");
            Wire.AssertError(await client.CallAsync(HttpMethod.Post, path, TagBody("ZoneVO", Guid.NewGuid().ToString("N"), "t")), HttpStatusCode.ServiceUnavailable, "SYS.1003");
            Wire.AssertError(await client.CallAsync(HttpMethod.Post, path, TagBody("ZoneVO", "ZONE", "t")), HttpStatusCode.ServiceUnavailable, "SYS.1007");
            Wire.AssertError(await client.CallAsync(HttpMethod.Post, path, TagBody("ZoneVO", zone, "")), HttpStatusCode.ServiceUnavailable, "SYS.1007");
            Wire.AssertError(await client.CallAsync(HttpMethod.Post, path, TagBody("ZoneVO", zone, new string('t', 2049))), HttpStatusCode.ServiceUnavailable, "SYS.1007");
            Wire.AssertError(await client.CallAsync(HttpMethod.Post, path, new JsonObject { ["params"] = new JsonObject { ["resourceType"] = "ZoneVO", ["tag"] = "t" } }), HttpStatusCode.ServiceUnavailable, "SYS.1007");
        }

        Assert.Empty(ZStackClient.Inventories(await client.QueryAsync("/tags")));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task The_queries_split_user_and_system_tags(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var a = await client.CreateZoneAsync("a", userTags: ["ua"]);
        var b = await client.CreateZoneAsync("b");
        Wire.AssertOk(await client.CallAsync(HttpMethod.Post, "/system-tags", TagBody("ZoneVO", a, "sa")));
        Wire.AssertOk(await client.CallAsync(HttpMethod.Post, "/user-tags", TagBody("ZoneVO", b, "ub")));

        Assert.Equal(["ua", "ub"], Texts(await client.QueryAsync("/user-tags")));
        Assert.Equal(["sa"], Texts(await client.QueryAsync("/system-tags")));
        Assert.Equal(["sa", "ua", "ub"], Texts(await client.QueryAsync("/tags")));
        Assert.Equal(["sa", "ua"], Texts(await client.QueryAsync("/tags", "q=resourceUuid=" + a)));
        Assert.Equal(["ub"], Texts(await client.QueryAsync("/user-tags", "q=resourceUuid=" + b)));
        Assert.Empty(Texts(await client.QueryAsync("/system-tags", "q=tag=ua")));

        var tagged = await client.QueryAsync("/user-tags", "q=tag=ub");
        Assert.Equal("org.zstack.header.tag.UserTagInventory", tagged.Json!["schema"]!["inventories[0]"]!.GetValue<string>());
        var uuid = ZStackClient.Inventories(tagged).Single()!["uuid"]!.GetValue<string>();
        Assert.Equal(["ub"], Texts(await client.QueryAsync("/tags/" + uuid)));
        Assert.Equal(["ub"], Texts(await client.QueryAsync("/user-tags/" + uuid)));
        Assert.Empty(Texts(await client.QueryAsync("/system-tags/" + uuid)));
        Assert.Equal(3, (await client.QueryAsync("/tags", "count=true")).Json!["total"]!.GetValue<int>());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task UpdateSystemTag_changes_only_system_tags(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var zone = await client.CreateZoneAsync("z", userTags: ["user-one"]);
        var sys = (await client.CallAsync(HttpMethod.Post, "/system-tags", TagBody("ZoneVO", zone, "before"))).Json!["inventory"]!["uuid"]!.GetValue<string>();
        var user = ZStackClient.Inventories(await client.QueryAsync("/user-tags")).Single()!["uuid"]!.GetValue<string>();

        var updated = await client.CallAsync(HttpMethod.Put, $"/system-tags/{sys}/actions", new JsonObject { ["updateSystemTag"] = new JsonObject { ["tag"] = "after" } });
        Wire.AssertOk(updated);
        Assert.Equal(("after", sys), (updated.Json!["inventory"]!["tag"]!.GetValue<string>(), updated.Json!["inventory"]!["uuid"]!.GetValue<string>()));
        Assert.Equal(["after"], Texts(await client.QueryAsync("/system-tags")));

        Wire.AssertError(await client.CallAsync(HttpMethod.Put, $"/system-tags/{user}/actions", new JsonObject { ["updateSystemTag"] = new JsonObject { ["tag"] = "x" } }), HttpStatusCode.ServiceUnavailable, "SYS.1003");
        Wire.AssertError(await client.CallAsync(HttpMethod.Put, $"/system-tags/{Guid.NewGuid():N}/actions", new JsonObject { ["updateSystemTag"] = new JsonObject { ["tag"] = "x" } }), HttpStatusCode.ServiceUnavailable, "SYS.1003");
        Wire.AssertError(await client.CallAsync(HttpMethod.Put, $"/system-tags/{sys}/actions", new JsonObject { ["updateSystemTag"] = new JsonObject { ["tag"] = "" } }), HttpStatusCode.ServiceUnavailable, "SYS.1007");
        Assert.Equal(["user-one"], Texts(await client.QueryAsync("/user-tags")));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task DeleteTag_removes_one_tag_and_is_idempotent(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var zone = await client.CreateZoneAsync("z", userTags: ["keep", "drop"]);
        var drop = ZStackClient.Inventories(await client.QueryAsync("/user-tags", "q=tag=drop")).Single()!["uuid"]!.GetValue<string>();
        var deleted = await client.CallAsync(HttpMethod.Delete, $"/tags/{drop}?deleteMode=Permissive");
        Wire.AssertOk(deleted);
        Assert.Equal("{}", deleted.Body);
        Assert.Equal(["keep"], Texts(await client.QueryAsync("/tags", "q=resourceUuid=" + zone)));
        Wire.AssertOk(await client.CallAsync(HttpMethod.Delete, $"/tags/{drop}"));
        Wire.AssertError(await client.CallAsync(HttpMethod.Delete, "/tags/not-a-uuid"), HttpStatusCode.ServiceUnavailable, "SYS.1007");
        Assert.Single(ZStackClient.Inventories(await client.QueryAsync("/zones", "q=__userTag__=keep")));
        Assert.Empty(ZStackClient.Inventories(await client.QueryAsync("/zones", "q=__userTag__=drop")));
    }
}
