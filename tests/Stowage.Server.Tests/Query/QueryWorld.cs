using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Server.Tests.Query;

/// <summary>
/// A server with four zones created ten minutes apart on a fake clock, so every test knows the exact
/// rows a query must return:
/// <list type="bullet">
/// <item>zone-a at T0: description "first", user tags lab1 and team::x, system tag sys::a</item>
/// <item>zone-b at T0+10m: no description, user tag lab2</item>
/// <item>zone-c at T0+20m: description "third", default zone, user tag lab1, system tag sys::c</item>
/// <item>other_1 at T0+30m: description "x%y", no tags</item>
/// </list>
/// </summary>
public sealed class QueryWorld : IAsyncDisposable
{
    public static readonly string[] AllZones = ["other_1", "zone-a", "zone-b", "zone-c"];

    private QueryWorld(StowageHost host, ZStackClient client, DateTime t0)
    {
        Host = host;
        Client = client;
        T0 = t0;
    }

    public StowageHost Host { get; }

    public ZStackClient Client { get; }

    /// <summary>Creation time of zone-a; the others follow at 10-minute steps.</summary>
    public DateTime T0 { get; }

    public Dictionary<string, string> Uuids { get; } = new(StringComparer.Ordinal);

    public static async Task<QueryWorld> StartAsync(Db db)
    {
        var host = await StowageHost.StartAsync(db, fakeClock: true);
        var client = host.Client();
        await client.LoginAsync();
        var world = new QueryWorld(host, client, host.Clock!.GetUtcNow().UtcDateTime);
        await world.CreateZoneAsync("zone-a", "first", false, ["lab1", "team::x"], ["sys::a"]);
        host.Clock.Advance(TimeSpan.FromMinutes(10));
        await world.CreateZoneAsync("zone-b", null, false, ["lab2"], []);
        host.Clock.Advance(TimeSpan.FromMinutes(10));
        await world.CreateZoneAsync("zone-c", "third", true, ["lab1"], ["sys::c"]);
        host.Clock.Advance(TimeSpan.FromMinutes(10));
        await world.CreateZoneAsync("other_1", "x%y", false, [], []);
        return world;
    }

    private async Task CreateZoneAsync(string name, string? description, bool isDefault, string[] userTags, string[] systemTags)
    {
        var p = new JsonObject { ["name"] = name, ["isDefault"] = isDefault };
        if (description is not null)
        {
            p["description"] = description;
        }

        var body = new JsonObject
        {
            ["params"] = p,
            ["userTags"] = new JsonArray([.. userTags.Select(t => JsonValue.Create(t))]),
            ["systemTags"] = new JsonArray([.. systemTags.Select(t => JsonValue.Create(t))]),
        };
        var r = await Client.CallAsync(HttpMethod.Post, "/zones", body);
        Assert.True(r.Status == HttpStatusCode.OK, r.ToString());
        Uuids[name] = r.Json!["inventory"]!["uuid"]!.GetValue<string>();
    }

    /// <summary>Runs a query that must succeed and returns the inventories.</summary>
    public async Task<JsonArray> OkAsync(string path, params string[] query)
    {
        var r = await Client.QueryAsync(path, query);
        Assert.True(r.Status == HttpStatusCode.OK, $"{path} {string.Join("&", query)} -> {r}");
        return ZStackClient.Inventories(r);
    }

    /// <summary>The names of the zones matching <paramref name="query"/>, sorted.</summary>
    public async Task<string[]> ZonesAsync(params string[] query) => Sorted(await OkAsync("/zones", query), "name");

    public static string[] Sorted(JsonArray inventories, string key) =>
        [.. Values(inventories, key).Order(StringComparer.Ordinal)];

    public static string[] Values(JsonArray inventories, string key) =>
        [.. inventories.Select(i => i![key]?.ToString() ?? "<null>")];

    /// <summary>Asserts the ZStack error envelope with SYS.1007 and the HTTP status the protocol gives.</summary>
    public async Task<string> InvalidAsync(HttpStatusCode status, string path, params string[] query)
    {
        var r = await Client.QueryAsync(path, query);
        Assert.True(r.Status == status, $"{path} {string.Join("&", query)} -> {r}");
        Assert.Equal("SYS.1007", r.ErrorCode);
        Assert.Equal("One or more API argument is invalid", r.Json!["error"]!["description"]!.GetValue<string>());
        return r.Json!["error"]!["details"]!.GetValue<string>();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
    }
}
