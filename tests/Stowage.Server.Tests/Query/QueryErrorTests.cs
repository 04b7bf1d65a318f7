using System.Net;
using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Server.Tests.Query;

/// <summary>
/// Malformed queries answer ZStack's SYS.1007 envelope, never an internal error: HTTP 400 for what the REST
/// layer cannot parse (no operator, limit, start), HTTP 503 for what validation refuses.
/// </summary>
public sealed class QueryErrorTests
{
    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Unparseable_requests_are_400(Db db)
    {
        await using var w = await QueryWorld.StartAsync(db);
        const HttpStatusCode bad = HttpStatusCode.BadRequest;
        Assert.Contains("'name' in the parameter[q] doesn't contain any query operator", await w.InvalidAsync(bad, "/zones", "q=name"), StringComparison.Ordinal);
        await w.InvalidAsync(bad, "/zones", "q=");
        await w.InvalidAsync(bad, "/zones", "q==zone-a");
        await w.InvalidAsync(bad, "/zones", "q=.name=zone-a");
        await w.InvalidAsync(bad, "/zones", "q=zone..name=zone-a");
        await w.InvalidAsync(bad, "/zones", "q=name zone-a");
        await w.InvalidAsync(bad, "/zones", "q=name=zone-a", "q=description");
        await w.InvalidAsync(bad, "/tags", "q=tag");
        await w.InvalidAsync(bad, "/global-configurations", "q=id");
        Assert.Equal("'limit' must be a non-negative integer, but got abc", await w.InvalidAsync(bad, "/zones", "limit=abc"));
        Assert.Equal("'limit' must be a non-negative integer, but got -1", await w.InvalidAsync(bad, "/zones", "limit=-1"));
        Assert.Equal("'limit' must be a non-negative integer, but got 1.5", await w.InvalidAsync(bad, "/zones", "limit=1.5"));
        await w.InvalidAsync(bad, "/zones", "limit=99999999999");
        await w.InvalidAsync(bad, "/zones", "limit=");
        Assert.Equal("'start' must be a non-negative integer, but got x", await w.InvalidAsync(bad, "/zones", "start=x"));
        await w.InvalidAsync(bad, "/zones", "start=-3");
        await w.InvalidAsync(bad, "/zones", "limit=1", "limit=2");
        await w.InvalidAsync(bad, "/zones", "q=na%me=x");
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Invalid_conditions_are_503(Db db)
    {
        await using var w = await QueryWorld.StartAsync(db);
        const HttpStatusCode unavailable = HttpStatusCode.ServiceUnavailable;
        Assert.Contains("field[nope]", await w.InvalidAsync(unavailable, "/zones", "q=nope=1"), StringComparison.Ordinal);
        Assert.Contains("field[zone.name]", await w.InvalidAsync(unavailable, "/zones", "q=zone.name=x"), StringComparison.Ordinal);
        Assert.Contains("field[Name]", await w.InvalidAsync(unavailable, "/zones", "q=Name=zone-a"), StringComparison.Ordinal);
        Assert.Contains("field[id]", await w.InvalidAsync(unavailable, "/zones", "q=id=1"), StringComparison.Ordinal);
        Assert.Contains("field[category]", await w.InvalidAsync(unavailable, "/tags", "q=category=x"), StringComparison.Ordinal);
        await w.InvalidAsync(unavailable, "/zones", "q=name=zone-a", "q=nope not null");

        Assert.Contains("not a boolean", await w.InvalidAsync(unavailable, "/zones", "q=isDefault=yes"), StringComparison.Ordinal);
        await w.InvalidAsync(unavailable, "/zones", "q=isDefault=1");
        await w.InvalidAsync(unavailable, "/zones", "q=isDefault?=true,nope");
        await w.InvalidAsync(unavailable, "/zones", "q=isDefault=");
        await w.InvalidAsync(unavailable, "/system-tags", "q=inherent=maybe");

        Assert.Contains("not a date", await w.InvalidAsync(unavailable, "/zones", "q=createDate>yesterday"), StringComparison.Ordinal);
        await w.InvalidAsync(unavailable, "/zones", "q=createDate>");
        await w.InvalidAsync(unavailable, "/zones", "q=createDate<Feb 30, 2024 1:00:00 AM");
        await w.InvalidAsync(unavailable, "/zones", "q=createDate<99999999999999999");
        await w.InvalidAsync(unavailable, "/zones", "q=lastOpDate?=0,never");
        await w.InvalidAsync(unavailable, "/tags", "q=createDate=12:00");

        Assert.Contains("not an integer", await w.InvalidAsync(unavailable, "/global-configurations", "q=id>abc"), StringComparison.Ordinal);
        await w.InvalidAsync(unavailable, "/global-configurations", "q=id=1.0");
        await w.InvalidAsync(unavailable, "/global-configurations", "q=id<=99999999999999999999");
        await w.InvalidAsync(unavailable, "/global-configurations", "q=id?=1,,2");
        await w.InvalidAsync(unavailable, "/global-configurations", "q=id= 1");

        Assert.Contains("text fields", await w.InvalidAsync(unavailable, "/global-configurations", "q=id~=1%"), StringComparison.Ordinal);
        await w.InvalidAsync(unavailable, "/zones", "q=isDefault!~=t%");
        await w.InvalidAsync(unavailable, "/zones", "q=createDate~=2024%");
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Invalid_sorting_projection_and_tags_are_503(Db db)
    {
        await using var w = await QueryWorld.StartAsync(db);
        const HttpStatusCode unavailable = HttpStatusCode.ServiceUnavailable;
        Assert.Equal("invalid order by clause, inventory[ZoneInventory] doesn't have field[nope]", await w.InvalidAsync(unavailable, "/zones", "sort=+nope"));
        await w.InvalidAsync(unavailable, "/zones", "sort=-");
        await w.InvalidAsync(unavailable, "/zones", "sort=+__userTag__");
        await w.InvalidAsync(unavailable, "/zones", "sortBy=nope", "sortDirection=desc");
        await w.InvalidAsync(unavailable, "/zones", "sortBy=name", "sortDirection=down");
        await w.InvalidAsync(unavailable, "/global-configurations", "sort=+createDate");

        Assert.Equal("field[nope] in 'fields' is not a field of ZoneInventory", await w.InvalidAsync(unavailable, "/zones", "fields=uuid,nope"));
        await w.InvalidAsync(unavailable, "/zones", "fields=Name");
        await w.InvalidAsync(unavailable, "/tags", "fields=name");
        await w.InvalidAsync(unavailable, "/zones", "fields=uuid", "count=true", "fields=x");

        Assert.Contains("has no tags", await w.InvalidAsync(unavailable, "/user-tags", "q=__userTag__=lab1"), StringComparison.Ordinal);
        await w.InvalidAsync(unavailable, "/global-configurations", "q=__systemTag__~=x%");
        await w.InvalidAsync(unavailable, "/zones", "q=__tagUuid__=x");
        await w.InvalidAsync(unavailable, "/zones", "q=__userTag__.tag=x");

        await w.InvalidAsync(unavailable, "/zones", "count=maybe");
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Nul_characters_never_reach_the_database(Db db)
    {
        await using var w = await QueryWorld.StartAsync(db);
        const HttpStatusCode unavailable = HttpStatusCode.ServiceUnavailable;
        Assert.Contains("NUL", await w.InvalidAsync(unavailable, "/zones", "q=name=zone\0-a"), StringComparison.Ordinal);
        await w.InvalidAsync(unavailable, "/zones", "q=name?=zone-a,\0");
        await w.InvalidAsync(unavailable, "/zones", "q=name!~=\0%");
        await w.InvalidAsync(unavailable, "/zones", "q=__userTag__=lab\0");
        await w.InvalidAsync(unavailable, "/zones", "q=__systemTag__!?=\0");
        await w.InvalidAsync(unavailable, "/tags", "q=tag~=\0");
        await w.InvalidAsync(unavailable, "/global-configurations", "q=category=\0");
        await w.InvalidAsync(unavailable, "/zones", "sort=+na\0me");
        await w.InvalidAsync(unavailable, "/zones", "fields=uuid,\0");
        await w.InvalidAsync(unavailable, "/zones", "q=na\0me=x");

        var byUuid = await w.Client.SendAsync(HttpMethod.Get, "/zones/abc%00def");

        // Kestrel itself refuses a NUL in the path, before Stowage sees the request.
        Assert.Equal(HttpStatusCode.BadRequest, byUuid.Status);

        // The server is still healthy afterwards.
        Assert.Equal(QueryWorld.AllZones, await w.ZonesAsync());
    }
}
