using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Stowage.Persistence;
using Stowage.Server.Features.Common;
using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Server.Tests.Query;

/// <summary>limit, start, count, replyWithCount, sorting, projection and GET by uuid.</summary>
public sealed class QueryPagingTests
{
    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Sorting(Db db)
    {
        await using var w = await QueryWorld.StartAsync(db);
        string[] asc = ["other_1", "zone-a", "zone-b", "zone-c"];
        string[] desc = ["zone-c", "zone-b", "zone-a", "other_1"];
        Assert.Equal(asc, Names(await w.OkAsync("/zones", "sort=+name")));
        Assert.Equal(desc, Names(await w.OkAsync("/zones", "sort=-name")));
        Assert.Equal(asc, Names(await w.OkAsync("/zones", "sort=name")));
        Assert.Equal(desc, Names(await w.OkAsync("/zones", "sortBy=name", "sortDirection=desc")));
        Assert.Equal(asc, Names(await w.OkAsync("/zones", "sortBy=name", "sortDirection=asc")));
        Assert.Equal(asc, Names(await w.OkAsync("/zones", "sortBy=name")));
        Assert.Equal(["zone-a", "zone-b", "zone-c", "other_1"], Names(await w.OkAsync("/zones", "sort=+createDate")));
        Assert.Equal(["other_1", "zone-c", "zone-b", "zone-a"], Names(await w.OkAsync("/zones", "sort=-createDate")));

        // sort wins over sortBy; an unencoded '+' arrives as a space and still means ascending.
        Assert.Equal(desc, Names(await w.OkAsync("/zones", "sort=-name", "sortBy=name", "sortDirection=asc")));
        var raw = await w.Client.SendAsync(HttpMethod.Get, "/zones?sort=+name");
        Assert.Equal(asc, Names(ZStackClient.Inventories(raw)));

        // Booleans sort false first; NULLs sort first ascending and last descending on both databases (as MySQL does).
        Assert.Equal("zone-c", Names(await w.OkAsync("/zones", "sort=-isDefault"))[0]);
        Assert.Equal("zone-c", Names(await w.OkAsync("/zones", "sort=+isDefault"))[3]);
        Assert.Equal(["zone-b", "zone-a", "zone-c", "other_1"], Names(await w.OkAsync("/zones", "sort=+description")));
        Assert.Equal(["other_1", "zone-c", "zone-a", "zone-b"], Names(await w.OkAsync("/zones", "sort=-description")));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Limit_start_and_counts(Db db)
    {
        await using var w = await QueryWorld.StartAsync(db);
        Assert.Equal(["zone-a", "zone-b"], Names(await w.OkAsync("/zones", "sort=+name", "limit=2", "start=1")));
        Assert.Equal(["zone-c"], Names(await w.OkAsync("/zones", "sort=+name", "limit=2", "start=3")));
        Assert.Empty(await w.OkAsync("/zones", "sort=+name", "start=4"));
        Assert.Empty(await w.OkAsync("/zones", "limit=0"));
        Assert.Equal(["zone-c", "zone-b"], Names(await w.OkAsync("/zones", "sort=-name", "limit=2")));

        var count = await w.Client.QueryAsync("/zones", "q=name~=zone%", "count=true", "limit=1");
        Assert.Equal(HttpStatusCode.OK, count.Status);
        Assert.Equal(3, count.Json!["total"]!.GetValue<long>());
        Assert.Null(count.Json!["inventories"]);

        var page = await w.Client.QueryAsync("/zones", "q=name~=zone%", "replyWithCount=true", "limit=1", "start=1", "sort=+name");
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Equal(3, page.Json!["total"]!.GetValue<long>());
        Assert.Equal(["zone-b"], Names(ZStackClient.Inventories(page)));

        var plain = await w.Client.QueryAsync("/zones", "limit=1");
        Assert.Null(plain.Json!["total"]);
        Assert.Single(ZStackClient.Inventories(plain));

        var none = await w.Client.QueryAsync("/zones", "q=name=nope", "count=true");
        Assert.Equal(0, none.Json!["total"]!.GetValue<long>());
        var replyFalse = await w.Client.QueryAsync("/zones", "count=false", "replyWithCount=false");
        Assert.Null(replyFalse.Json!["total"]);
        Assert.Equal(4, ZStackClient.Inventories(replyFalse).Count);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Default_limit_is_1000(Db db)
    {
        await using var w = await QueryWorld.StartAsync(db);
        var zone = w.Uuids["other_1"];
        await using (var ctx = w.Host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext())
        {
            for (var i = 0; i < 1001; i++)
            {
                ctx.Tags.Add(ResourceIndex.NewTag(zone, "ZoneVO", $"bulk{i:D4}", "User", w.T0));
            }

            await ctx.SaveChangesAsync();
        }

        var r = await w.Client.QueryAsync("/user-tags", "q=tag~=bulk%", "replyWithCount=true", "sort=+tag");
        Assert.Equal(1001, r.Json!["total"]!.GetValue<long>());
        var tags = QueryWorld.Values(ZStackClient.Inventories(r), "tag");
        Assert.Equal(1000, tags.Length);
        Assert.Equal("bulk0000", tags[0]);
        Assert.Equal("bulk0999", tags[^1]);
        Assert.Equal(["bulk1000"], QueryWorld.Values(await w.OkAsync("/user-tags", "q=tag~=bulk%", "sort=+tag", "start=1000"), "tag"));
        Assert.Equal(1001, (await w.OkAsync("/user-tags", "q=tag~=bulk%", "limit=5000")).Count);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Fields_projection(Db db)
    {
        await using var w = await QueryWorld.StartAsync(db);
        var rows = await w.OkAsync("/zones", "fields=uuid,name", "sort=+name");
        Assert.Equal(4, rows.Count);
        foreach (var row in rows)
        {
            Assert.Equal(["name", "uuid"], row!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));
        }

        Assert.Equal(w.Uuids["other_1"], rows[0]!["uuid"]!.GetValue<string>());

        var one = (await w.OkAsync("/zones", "q=name=zone-c", "fields= isDefault , createDate")).Single()!.AsObject();
        Assert.Equal(["createDate", "isDefault"], one.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.True(one["isDefault"]!.GetValue<bool>());

        var repeated = (await w.OkAsync("/zones", "q=name=zone-a", "fields=name", "fields=state")).Single()!.AsObject();
        Assert.Equal(["name", "state"], repeated.Select(p => p.Key).Order(StringComparer.Ordinal));

        var full = (await w.OkAsync("/zones", "q=name=zone-a")).Single()!.AsObject();
        Assert.Equal(["createDate", "description", "isDefault", "lastOpDate", "name", "state", "type", "uuid"], full.Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Get_by_uuid_ignores_every_other_parameter(Db db)
    {
        await using var w = await QueryWorld.StartAsync(db);
        var uuid = w.Uuids["zone-b"];
        var r = await w.Client.QueryAsync("/zones/" + uuid);
        Assert.Equal(HttpStatusCode.OK, r.Status);
        var inv = ZStackClient.Inventories(r).Single()!;
        Assert.Equal("zone-b", inv["name"]!.GetValue<string>());
        Assert.Equal(uuid, inv["uuid"]!.GetValue<string>());

        var ignored = await w.Client.QueryAsync("/zones/" + uuid, "q=name=zone-a", "fields=name", "sort=nope", "limit=x", "start=-1");
        Assert.Equal(HttpStatusCode.OK, ignored.Status);
        Assert.Equal(uuid, ZStackClient.Inventories(ignored).Single()!["uuid"]!.GetValue<string>());

        Assert.Empty(ZStackClient.Inventories(await w.Client.QueryAsync("/zones/" + new string('0', 32))));
        Assert.Empty(ZStackClient.Inventories(await w.Client.QueryAsync("/zones/not-a-uuid")));
    }

    private static string[] Names(System.Text.Json.Nodes.JsonArray rows) => QueryWorld.Values(rows, "name");
}
