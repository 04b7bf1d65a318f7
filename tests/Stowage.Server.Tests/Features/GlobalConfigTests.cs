using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.Protocol;

namespace Stowage.Server.Tests.Features;

/// <summary>QueryGlobalConfig, UpdateGlobalConfig, GetGlobalConfigOptions and ResetGlobalConfig.</summary>
public sealed class GlobalConfigTests
{
    private static Task<ApiResponse> UpdateAsync(ZStackClient client, string category, string name, string value) =>
        client.UpdateGlobalConfigAsync(category, name, value);

    private static async Task<string> ValueAsync(ZStackClient client, string category, string name)
    {
        var r = await client.QueryAsync("/global-configurations", "q=category=" + category, "q=name=" + name);
        return ZStackClient.Inventories(r).Single()!["value"]!.GetValue<string>();
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Query_lists_the_configs_with_zstack_fields(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var all = await client.QueryAsync("/global-configurations", "replyWithCount=true");
        Wire.AssertOk(all);
        var names = ZStackClient.Inventories(all).Select(c => c!["category"]!.GetValue<string>() + "/" + c["name"]!.GetValue<string>()).ToList();
        Assert.Contains("backupStorage/ping.interval", names);
        Assert.Contains("identity/session.timeout", names);
        Assert.Equal(names.Count, all.Json!["total"]!.GetValue<int>());

        var ping = ZStackClient.Inventories(await client.QueryAsync("/global-configurations", "q=category=backupStorage", "q=name=ping.interval")).Single()!.AsObject();
        Assert.Equal(["category", "defaultValue", "description", "id", "name", "value"], ping.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.Equal(JsonValueKind.Number, ping["id"]!.GetValueKind());
        Assert.Equal(("60", "60"), (ping["value"]!.GetValue<string>(), ping["defaultValue"]!.GetValue<string>()));

        var backup = ZStackClient.Inventories(await client.QueryAsync("/global-configurations", "q=category=backupStorage", "sort=-name", "fields=name"));
        Assert.All(backup, c => Assert.Equal(["name"], c!.AsObject().Select(p => p.Key)));
        var sorted = backup.Select(c => c!["name"]!.GetValue<string>()).ToList();
        Assert.Equal(sorted.OrderDescending(StringComparer.Ordinal), sorted);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Update_validates_the_value_against_the_configs_rule(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var ok = await UpdateAsync(client, "backupStorage", "ping.interval", "30");
        Wire.AssertOk(ok);
        Assert.Equal("30", ok.Json!["inventory"]!["value"]!.GetValue<string>());
        Assert.Equal("org.zstack.core.config.GlobalConfigInventory", ok.Json!["schema"]!["inventory"]!.GetValue<string>());

        foreach (var (category, name, value) in new[]
        {
            ("backupStorage", "ping.interval", "0"), ("backupStorage", "ping.interval", "-1"), ("backupStorage", "ping.interval", "ten"),
            ("backupStorage", "ping.interval", "99999999999"), ("backupStorage", "connection.autoReconnectOnError", "yes"),
            ("backupStorage", "reservedCapacity", "lots"), ("api", "job.resultRetention", "60"),
        })
        {
            var r = await UpdateAsync(client, category, name, value);
            Wire.AssertError(r, HttpStatusCode.ServiceUnavailable, "SYS.1007");
        }

        Wire.AssertOk(await UpdateAsync(client, "backupStorage", "reservedCapacity", "512M"));
        Wire.AssertOk(await UpdateAsync(client, "backupStorage", "connection.autoReconnectOnError", "false"));
        Wire.AssertError(await UpdateAsync(client, "backupStorage", "no.such.thing", "1"), HttpStatusCode.ServiceUnavailable, "SYS.1003");
        Wire.AssertError(await client.CallAsync(HttpMethod.Put, "/global-configurations/backupStorage/ping.interval/actions",
            new JsonObject { ["updateGlobalConfig"] = new JsonObject() }), HttpStatusCode.ServiceUnavailable, "SYS.1007");
        Assert.Equal("30", await ValueAsync(client, "backupStorage", "ping.interval"));
    }

    [Fact]
    public async Task GetGlobalConfigOptions_describes_the_rule()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var ping = await client.SendAsync(HttpMethod.Get, "/global-configurations/backupStorage/ping.interval");
        Wire.AssertOk(ping);
        Assert.Equal("Int", ping.Json!["options"]!["type"]!.GetValue<string>());
        Assert.Equal(1, ping.Json!["options"]!["numberGreaterThan"]!.GetValue<long>());

        var flag = await client.SendAsync(HttpMethod.Get, "/global-configurations/backupStorage/connection.autoReconnectOnError");
        Assert.Equal(["true", "false"], flag.Json!["options"]!["validValue"]!.AsArray().Select(v => v!.GetValue<string>()));

        Wire.AssertError(await client.SendAsync(HttpMethod.Get, "/global-configurations/backupStorage/nothing"), HttpStatusCode.ServiceUnavailable, "SYS.1003");
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Reset_puts_every_config_back_to_its_default(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        Wire.AssertOk(await UpdateAsync(client, "backupStorage", "ping.interval", "30"));
        Wire.AssertOk(await UpdateAsync(client, "backupStorage", "ping.parallelismDegree", "5"));
        var reset = await client.CallAsync(HttpMethod.Put, "/global-configurations/actions", new JsonObject { ["resetGlobalConfig"] = new JsonObject() });
        Wire.AssertOk(reset);
        Assert.Equal("{}", reset.Body);
        Assert.Equal("60", await ValueAsync(client, "backupStorage", "ping.interval"));
        Assert.Equal("50", await ValueAsync(client, "backupStorage", "ping.parallelismDegree"));
        var changed = ZStackClient.Inventories(await client.QueryAsync("/global-configurations"))
            .Where(c => c!["value"]!.GetValue<string>() != c["defaultValue"]!.GetValue<string>());
        Assert.Empty(changed);
    }

    [Fact]
    public async Task An_updated_value_survives_a_restart()
    {
        var dataDir = Directory.CreateTempSubdirectory("stowage-config-").FullName;
        var first = await StowageHost.StartAsync(dataDir: dataDir);
        using (var client = first.Client())
        {
            await client.LoginAsync();
            Wire.AssertOk(await UpdateAsync(client, "backupStorage", "ping.interval", "42"));
            Wire.AssertOk(await UpdateAsync(client, "identity", "session.timeout", "600"));
        }

        await first.StopAsync();
        await using var second = await StowageHost.StartAsync(dataDir: dataDir);
        using var again = second.Client();
        var login = await again.SendAsync(HttpMethod.Put, "/accounts/login",
            new JsonObject { ["logInByAccount"] = new JsonObject { ["accountName"] = "admin", ["password"] = ZStackClient.AdminPasswordSha512 } }, auth: false);
        again.Session = login.Json!["inventory"]!["uuid"]!.GetValue<string>();
        Assert.Equal("42", await ValueAsync(again, "backupStorage", "ping.interval"));

        // The loaded value is in force, not just stored: new sessions last 600 s.
        var created = DateTime.ParseExact(login.Json!["inventory"]!["createDate"]!.GetValue<string>(), "MMM d, yyyy h:mm:ss tt", System.Globalization.CultureInfo.InvariantCulture);
        var expires = DateTime.ParseExact(login.Json!["inventory"]!["expiredDate"]!.GetValue<string>(), "MMM d, yyyy h:mm:ss tt", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(TimeSpan.FromSeconds(600), expires - created);
    }
}
