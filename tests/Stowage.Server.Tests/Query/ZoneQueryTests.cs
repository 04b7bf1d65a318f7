using System.Globalization;
using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Server.Tests.Query;

/// <summary>Every operator on QueryZone, with typed comparisons on booleans and dates.</summary>
public sealed class ZoneQueryTests
{
    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task String_operators(Db db)
    {
        await using var w = await QueryWorld.StartAsync(db);
        Assert.Equal(QueryWorld.AllZones, await w.ZonesAsync());
        Assert.Equal(["zone-b"], await w.ZonesAsync("q=name=zone-b"));
        Assert.Empty(await w.ZonesAsync("q=name=ZONE-B"));
        Assert.Equal(["other_1", "zone-a", "zone-c"], await w.ZonesAsync("q=name!=zone-b"));
        Assert.Equal(["zone-c"], await w.ZonesAsync("q=name>zone-b"));
        Assert.Equal(["zone-b", "zone-c"], await w.ZonesAsync("q=name>=zone-b"));
        Assert.Equal(["other_1", "zone-a"], await w.ZonesAsync("q=name<zone-b"));
        Assert.Equal(["other_1", "zone-a", "zone-b"], await w.ZonesAsync("q=name<=zone-b"));
        Assert.Equal(["zone-a", "zone-c"], await w.ZonesAsync("q=name?=zone-a,zone-c,nope"));
        Assert.Equal(["other_1", "zone-b"], await w.ZonesAsync("q=name!?=zone-a,zone-c,nope"));
        Assert.Equal(["zone-b"], await w.ZonesAsync("q=name?=zone-b"));
        Assert.Equal(["zone-a", "zone-b", "zone-c"], await w.ZonesAsync("q=name~=zone%"));
        Assert.Equal(["other_1"], await w.ZonesAsync("q=name!~=zone%"));
        Assert.Equal(["zone-b"], await w.ZonesAsync("q=name=zone-b", "q=state=Enabled", "q=type=zstack"));
        Assert.Empty(await w.ZonesAsync("q=name=zone-b", "q=name=zone-c"));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Null_tests_and_values_are_exact(Db db)
    {
        await using var w = await QueryWorld.StartAsync(db);
        Assert.Equal(["zone-b"], await w.ZonesAsync("q=description is null"));
        Assert.Equal(["other_1", "zone-a", "zone-c"], await w.ZonesAsync("q=description not null"));
        Assert.Equal(QueryWorld.AllZones, await w.ZonesAsync("q=name not null"));
        Assert.Empty(await w.ZonesAsync("q=uuid is null"));

        // The value is not trimmed: a leading space is part of it.
        Assert.Empty(await w.ZonesAsync("q=name= zone-b"));
        Assert.Empty(await w.ZonesAsync("q=name=zone-b "));

        // Comparison with NULL never matches, as in SQL.
        Assert.Equal(["other_1", "zone-a"], await w.ZonesAsync("q=description!=third"));

        // An operator inside the value belongs to the value.
        Assert.Empty(await w.ZonesAsync("q=name=zone-b!=x"));
        Assert.Empty(await w.ZonesAsync("q=name?="));
        Assert.Equal(QueryWorld.AllZones, await w.ZonesAsync("q=name!?="));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Like_wildcards(Db db)
    {
        await using var w = await QueryWorld.StartAsync(db);
        Assert.Equal(["zone-a", "zone-b", "zone-c"], await w.ZonesAsync("q=name~=zone-_"));
        Assert.Empty(await w.ZonesAsync("q=name~=zone-"));
        Assert.Empty(await w.ZonesAsync("q=name~=zone_"));
        Assert.Equal(["other_1"], await w.ZonesAsync("q=name~=other_1"));
        Assert.Equal(["other_1"], await w.ZonesAsync("q=name~=%r%1"));
        Assert.Equal(["zone-a", "zone-c"], await w.ZonesAsync("q=name~=%-_", "q=name!~=%b"));
        Assert.Equal(["other_1"], await w.ZonesAsync("q=description~=x%"));

        // Backslash escapes a wildcard, as on ZStack's MySQL; a trailing lone backslash is a literal.
        Assert.Equal(["other_1"], await w.ZonesAsync("q=description~=_\\%_"));
        Assert.Empty(await w.ZonesAsync("q=description~=_\\__"));
        Assert.Equal(["other_1"], await w.ZonesAsync("q=name~=other\\_1"));
        Assert.Equal(["zone-a"], await w.ZonesAsync("q=name~=zone\\-a"));
        Assert.Empty(await w.ZonesAsync("q=name~=zone\\"));
        Assert.Equal(QueryWorld.AllZones, await w.ZonesAsync("q=name!~=zone\\"));

        // Like is case-insensitive on both databases, as on ZStack's MySQL.
        Assert.Equal(["zone-a", "zone-b", "zone-c"], await w.ZonesAsync("q=name~=ZONE%"));
        Assert.Equal(["other_1"], await w.ZonesAsync("q=name!~=Zone%"));

        // NOT LIKE leaves NULL out, as SQL does.
        Assert.Equal(["other_1", "zone-a"], await w.ZonesAsync("q=description!~=t%"));
        Assert.Equal(["other_1", "zone-a", "zone-b", "zone-c"], await w.ZonesAsync("q=name~=%"));
        Assert.Equal(["zone-a", "zone-b", "zone-c"], await w.ZonesAsync("q=uuid~=%", "q=name~=______"));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Booleans_compare_as_booleans(Db db)
    {
        await using var w = await QueryWorld.StartAsync(db);
        Assert.Equal(["zone-c"], await w.ZonesAsync("q=isDefault=true"));
        Assert.Equal(["other_1", "zone-a", "zone-b"], await w.ZonesAsync("q=isDefault=false"));
        Assert.Equal(["other_1", "zone-a", "zone-b"], await w.ZonesAsync("q=isDefault!=true"));
        Assert.Equal(["zone-c"], await w.ZonesAsync("q=isDefault=True"));
        Assert.Equal(QueryWorld.AllZones, await w.ZonesAsync("q=isDefault?=true,false"));
        Assert.Equal(["zone-c"], await w.ZonesAsync("q=isDefault!?=false"));
        var inv = (await w.OkAsync("/zones", "q=isDefault=true")).Single()!;
        Assert.True(inv["isDefault"]!.GetValue<bool>());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Dates_compare_as_dates_in_every_accepted_form(Db db)
    {
        await using var w = await QueryWorld.StartAsync(db);

        // Half-way between zone-b (T0+10m) and zone-c (T0+20m), in the three forms.
        var mid = w.T0.AddMinutes(15);
        var zstack = mid.ToString("MMM d, yyyy h:mm:ss tt", CultureInfo.InvariantCulture);
        var iso = mid.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var epoch = new DateTimeOffset(mid).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        foreach (var v in new[] { zstack, iso, epoch })
        {
            Assert.Equal(["other_1", "zone-c"], await w.ZonesAsync("q=createDate>" + v));
            Assert.Equal(["other_1", "zone-c"], await w.ZonesAsync("q=createDate>=" + v));
            Assert.Equal(["zone-a", "zone-b"], await w.ZonesAsync("q=createDate<" + v));
            Assert.Equal(["zone-a", "zone-b"], await w.ZonesAsync("q=lastOpDate<=" + v));
            Assert.Equal(QueryWorld.AllZones, await w.ZonesAsync("q=createDate!=" + v));
            Assert.Empty(await w.ZonesAsync("q=createDate=" + v));
        }

        // A window: after zone-a and before other_1.
        var from = w.T0.AddMinutes(5).ToString("MMM d, yyyy h:mm:ss tt", CultureInfo.InvariantCulture);
        var to = new DateTimeOffset(w.T0.AddMinutes(25)).ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
        Assert.Equal(["zone-b", "zone-c"], await w.ZonesAsync("q=createDate>" + from, "q=createDate<" + to));

        // ISO 8601 with an offset is converted to UTC; an ISO date without time is midnight UTC.
        var shifted = mid.AddHours(2).ToString("yyyy-MM-dd'T'HH:mm:ss'+02:00'", CultureInfo.InvariantCulture);
        Assert.Equal(["other_1", "zone-c"], await w.ZonesAsync("q=createDate>" + shifted));
        Assert.Equal(QueryWorld.AllZones, await w.ZonesAsync("q=createDate>" + w.T0.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
        Assert.Empty(await w.ZonesAsync("q=createDate<" + w.T0.AddDays(-1).ToString("yyyy-MM-dd", CultureInfo.InvariantCulture)));
        Assert.Equal(QueryWorld.AllZones, await w.ZonesAsync("q=createDate>0"));

        // The date the server returns can be fed back.
        var bDate = (await w.OkAsync("/zones", "q=name=zone-b")).Single()!["createDate"]!.GetValue<string>();
        Assert.Equal(["zone-a"], await w.ZonesAsync("q=createDate<" + bDate));
    }
}
