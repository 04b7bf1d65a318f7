using System.Net;
using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Server.Tests;

public sealed class SmokeTests
{
    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Login_create_zone_and_query_it_back(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var uuid = await client.CreateZoneAsync("zone1", "z", ["lab1"]);
        var r = await client.QueryAsync("/zones", "q=__userTag__=lab1");
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal(uuid, ZStackClient.Inventories(r).Single()!["uuid"]!.GetValue<string>());
    }
}
