using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Server.Tests.Query;

/// <summary>QueryUserTag, QuerySystemTag, QueryTag, and the __userTag__ / __systemTag__ pseudo-fields on zones.</summary>
public sealed class TagQueryTests
{
    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task User_tag_pseudo_field_on_zones(Db db)
    {
        await using var w = await QueryWorld.StartAsync(db);
        Assert.Equal(["zone-a", "zone-c"], await w.ZonesAsync("q=__userTag__=lab1"));
        Assert.Equal(["other_1", "zone-b"], await w.ZonesAsync("q=__userTag__!=lab1"));
        Assert.Equal(["zone-a", "zone-b", "zone-c"], await w.ZonesAsync("q=__userTag__~=lab%"));
        Assert.Equal(["other_1"], await w.ZonesAsync("q=__userTag__!~=lab%"));
        Assert.Equal(["zone-a", "zone-b"], await w.ZonesAsync("q=__userTag__?=lab2,team::x"));
        Assert.Equal(["other_1", "zone-c"], await w.ZonesAsync("q=__userTag__!?=lab2,team::x"));
        Assert.Equal(["zone-a"], await w.ZonesAsync("q=__userTag__=lab1", "q=__userTag__=team::x"));
        Assert.Equal(["zone-c"], await w.ZonesAsync("q=__userTag__=lab1", "q=__userTag__!=team::x"));
        Assert.Equal(["zone-a"], await w.ZonesAsync("q=__userTag__~=team::%"));
        Assert.Empty(await w.ZonesAsync("q=__userTag__=lab"));
        Assert.Empty(await w.ZonesAsync("q=__userTag__=sys::a"));
        Assert.Equal(QueryWorld.AllZones, await w.ZonesAsync("q=__userTag__!=sys::a"));
        Assert.Equal(["zone-a", "zone-c"], await w.ZonesAsync("q=__userTag__=lab1", "q=name~=zone%", "sort=-name"));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task System_tag_pseudo_field_on_zones(Db db)
    {
        await using var w = await QueryWorld.StartAsync(db);
        Assert.Equal(["zone-a"], await w.ZonesAsync("q=__systemTag__=sys::a"));
        Assert.Equal(["other_1", "zone-b", "zone-c"], await w.ZonesAsync("q=__systemTag__!=sys::a"));
        Assert.Equal(["zone-a", "zone-c"], await w.ZonesAsync("q=__systemTag__~=sys::_"));
        Assert.Equal(["other_1", "zone-b"], await w.ZonesAsync("q=__systemTag__!~=sys::%"));
        Assert.Equal(["zone-c"], await w.ZonesAsync("q=__systemTag__?=sys::c,sys::z"));
        Assert.Equal(["other_1", "zone-a", "zone-b"], await w.ZonesAsync("q=__systemTag__!?=sys::c,sys::z"));
        Assert.Empty(await w.ZonesAsync("q=__systemTag__=lab1"));
        Assert.Equal(["zone-c"], await w.ZonesAsync("q=__userTag__=lab1", "q=__systemTag__!=sys::a"));
        Assert.Equal(["zone-b"], await w.ZonesAsync("q=__userTag__~=lab%", "q=__systemTag__!~=sys::%"));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Tag_resources_keep_user_and_system_tags_apart(Db db)
    {
        await using var w = await QueryWorld.StartAsync(db);
        Assert.Equal(["lab1", "lab1", "lab2", "team::x"], QueryWorld.Sorted(await w.OkAsync("/user-tags"), "tag"));
        Assert.Equal(["sys::a", "sys::c"], QueryWorld.Sorted(await w.OkAsync("/system-tags"), "tag"));
        Assert.Equal(["lab1", "lab1", "lab2", "sys::a", "sys::c", "team::x"], QueryWorld.Sorted(await w.OkAsync("/tags"), "tag"));

        // The fixed type condition still applies when the query names the other type.
        Assert.Empty(await w.OkAsync("/user-tags", "q=type=System"));
        Assert.Empty(await w.OkAsync("/system-tags", "q=tag=lab1"));
        Assert.Equal(["System", "System"], QueryWorld.Sorted(await w.OkAsync("/tags", "q=type=System"), "type"));

        var a = w.Uuids["zone-a"];
        Assert.Equal(["lab1", "team::x"], QueryWorld.Sorted(await w.OkAsync("/user-tags", "q=resourceUuid=" + a), "tag"));
        Assert.Equal(["lab1", "sys::a", "team::x"], QueryWorld.Sorted(await w.OkAsync("/tags", "q=resourceUuid=" + a), "tag"));
        Assert.Equal(["lab2", "team::x"], QueryWorld.Sorted(await w.OkAsync("/user-tags", "q=tag!=lab1"), "tag"));
        Assert.Equal(["lab1", "lab1", "lab2"], QueryWorld.Sorted(await w.OkAsync("/user-tags", "q=tag~=LAB_"), "tag"));
        Assert.Equal(["team::x"], QueryWorld.Sorted(await w.OkAsync("/user-tags", "q=tag!~=lab%"), "tag"));
        Assert.Equal(["lab2", "sys::c"], QueryWorld.Sorted(await w.OkAsync("/tags", "q=tag?=lab2,sys::c"), "tag"));
        Assert.Equal(["lab1", "lab1", "sys::a"], QueryWorld.Sorted(await w.OkAsync("/tags", "q=tag!?=lab2,sys::c,team::x"), "tag"));
        Assert.Equal(["ZoneVO"], QueryWorld.Sorted(await w.OkAsync("/system-tags", "q=resourceUuid=" + a), "resourceType"));
        Assert.Equal(["lab1", "lab1", "lab2", "team::x"], QueryWorld.Sorted(await w.OkAsync("/user-tags", "q=resourceType=ZoneVO"), "tag"));

        // Only system tags show 'inherent'; user tags leave it out.
        var sys = await w.OkAsync("/system-tags", "q=inherent=false");
        Assert.Equal(["sys::a", "sys::c"], QueryWorld.Sorted(sys, "tag"));
        Assert.Empty(await w.OkAsync("/system-tags", "q=inherent=true"));
        Assert.All(await w.OkAsync("/user-tags"), t => Assert.Null(t!["inherent"]));

        var count = await w.Client.QueryAsync("/tags", "q=tag~=lab%", "count=true");
        Assert.Equal(3, count.Json!["total"]!.GetValue<long>());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Tag_dates_and_projection(Db db)
    {
        await using var w = await QueryWorld.StartAsync(db);
        var mid = w.T0.AddMinutes(15).ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        Assert.Equal(["lab1", "sys::c"], QueryWorld.Sorted(await w.OkAsync("/tags", "q=createDate>" + mid), "tag"));
        Assert.Equal(["lab1", "lab2", "sys::a", "team::x"], QueryWorld.Sorted(await w.OkAsync("/tags", "q=createDate<" + mid), "tag"));

        var rows = await w.OkAsync("/system-tags", "fields=tag,resourceUuid", "sort=-tag");
        Assert.Equal(["sys::c", "sys::a"], QueryWorld.Values(rows, "tag"));
        Assert.Equal(w.Uuids["zone-c"], rows[0]!["resourceUuid"]!.GetValue<string>());
        Assert.Equal(["resourceUuid", "tag"], rows[0]!.AsObject().Select(p => p.Key).Order(StringComparer.Ordinal));

        var uuid = rows[1]!["resourceUuid"]!.GetValue<string>();
        Assert.Equal(w.Uuids["zone-a"], uuid);
        var tagUuid = (await w.OkAsync("/system-tags", "q=tag=sys::a")).Single()!["uuid"]!.GetValue<string>();
        Assert.Equal(["sys::a"], QueryWorld.Values(await w.OkAsync("/system-tags/" + tagUuid), "tag"));
        Assert.Empty(await w.OkAsync("/user-tags/" + tagUuid));
        Assert.Equal(["sys::a"], QueryWorld.Values(await w.OkAsync("/tags/" + tagUuid), "tag"));
    }
}
