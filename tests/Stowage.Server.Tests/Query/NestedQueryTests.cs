using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Stowage.Core.Errors;
using Stowage.Core.Query;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Persistence.Query;
using Stowage.Server.Features.Zones;
using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Server.Tests.Query;

/// <summary>
/// Nested conditions through relations, run by the engine directly on both databases. No shipped resources
/// are related yet, so this registry adds test resources over the real tables:
/// <c>zt</c> (zones with a <c>tag</c> relation, a <c>userTag</c> relation, a link-table relation and a list field)
/// and <c>tg</c> (tags with a <c>zone</c> relation back to <c>zt</c>, plus one to the real <c>zone</c>).
/// </summary>
public sealed class NestedQueryTests
{
    private static readonly QueryRegistry Registry = new(
    [
        ZoneRules.Query,
        Stowage.Server.Features.BackupStorage.BackupStorageQueries.BackupStorage(new Stowage.Server.Storage.StorageTypeRegistry([])),
        Stowage.Server.Features.Images.ImageQueries.Image,
        Stowage.Server.Features.Images.ImageQueries.BackupStorageRef,
        .. Stowage.Server.Features.VolumeArchives.VolumeArchiveQueries.All,
        new QueryResource<ZoneEntity>("zt", "TestZoneInventory", "zones", "ZoneVO")
        {
            Fields = ZoneRules.Query.Fields,
            Relations =
            [
                new("tag", "tg", "uuid", "resource_uuid"),
                new("userTag", "utg", "uuid", "resource_uuid"),
                new("linkedTag", "tg", "uuid", "uuid", LinkTable: "tags", LinkLocalColumn: "resource_uuid", LinkTargetColumn: "uuid"),
            ],
            ListFields = [new("tagTexts", "tags", "resource_uuid", "tag")],
        },
        new QueryResource<TagEntity>("tg", "TestTagInventory", "tags", null)
        {
            Fields = [new("uuid", "uuid"), new("tag", "tag"), new("type", "type"), new("inherent", "inherent", FieldType.Bool), new("createDate", "create_date", FieldType.Date)],
            Relations = [new("zone", "zt", "resource_uuid", "uuid"), new("realZone", "zone", "resource_uuid", "uuid")],
        },
        new QueryResource<TagEntity>("utg", "TestUserTagInventory", "tags", null)
        {
            Fields = [new("tag", "tag")],
            FixedCondition = "{t}.\"type\" = 'User'",
        },
    ]);

    private static async Task<string[]> RunAsync(QueryWorld w, string resource, params string[] conditions)
    {
        await using var db = w.Host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        var request = new QueryRequest([.. conditions.Select(QueryConditionParser.Parse)], ReplyWithCount: true);
        var result = await new QueryExecutor(Registry).ExecuteAsync(db, resource, request, CancellationToken.None);
        Assert.Equal(result.Rows!.Count, result.Total);
        IEnumerable<string> names = resource == "tg"
            ? result.Rows!.Cast<TagEntity>().Select(t => t.Tag)
            : result.Rows!.Cast<ZoneEntity>().Select(z => z.Name);
        return [.. names.Order(StringComparer.Ordinal)];
    }

    private static async Task<string> ErrorAsync(QueryWorld w, string resource, params string[] conditions)
    {
        var e = await Assert.ThrowsAsync<ApiException>(() => RunAsync(w, resource, conditions));
        Assert.Equal("SYS.1007", e.Error.Code);
        return e.Error.Details!;
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task One_hop(Db db)
    {
        await using var w = await QueryWorld.StartAsync(db);
        Assert.Equal(QueryWorld.AllZones, await RunAsync(w, "zt"));
        Assert.Equal(["zone-a", "zone-c"], await RunAsync(w, "zt", "tag.tag=lab1"));
        Assert.Equal(["zone-a", "zone-b", "zone-c"], await RunAsync(w, "zt", "tag.tag~=lab%"));
        Assert.Equal(["zone-a", "zone-b", "zone-c"], await RunAsync(w, "zt", "tag.tag~=LAB_"));
        Assert.Equal(["zone-a", "zone-c"], await RunAsync(w, "zt", "tag.tag~=sys::%"));
        Assert.Equal(["zone-b", "zone-c"], await RunAsync(w, "zt", "tag.tag?=lab2,sys::c"));
        Assert.Equal(["zone-a", "zone-b", "zone-c"], await RunAsync(w, "zt", "tag.tag!=lab1"));
        Assert.Equal(["zone-a", "zone-c"], await RunAsync(w, "zt", "tag.tag!~=lab%"));
        Assert.Equal(["zone-a"], await RunAsync(w, "zt", "tag.tag!?=lab1,lab2,sys::c"));
        Assert.Equal(["zone-a", "zone-c"], await RunAsync(w, "zt", "tag.type=System"));
        Assert.Equal(["zone-a", "zone-c"], await RunAsync(w, "zt", "tag.inherent=false", "tag.type=System"));
        Assert.Empty(await RunAsync(w, "zt", "tag.tag is null"));
        Assert.Equal(["zone-a", "zone-b", "zone-c"], await RunAsync(w, "zt", "tag.uuid not null"));
        Assert.Equal(["zone-c"], await RunAsync(w, "zt", "tag.tag=lab1", "isDefault=true"));
        Assert.Equal(["zone-a"], await RunAsync(w, "zt", "tag.tag=lab1", "tag.tag=team::x"));

        var mid = w.T0.AddMinutes(15).ToString("MMM d, yyyy h:mm:ss tt", CultureInfo.InvariantCulture);
        Assert.Equal(["zone-c"], await RunAsync(w, "zt", "tag.createDate>" + mid));
        Assert.Equal(["zone-a", "zone-b"], await RunAsync(w, "zt", "tag.createDate<" + mid));

        Assert.Equal(["lab1", "sys::a", "team::x"], await RunAsync(w, "tg", "zone.name=zone-a"));
        Assert.Equal(["lab2"], await RunAsync(w, "tg", "realZone.createDate>" + w.T0.AddMinutes(5).ToString("o", CultureInfo.InvariantCulture), "realZone.isDefault=false"));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Fixed_conditions_link_tables_and_list_fields(Db db)
    {
        await using var w = await QueryWorld.StartAsync(db);

        // The target's fixed condition applies inside the hop: system tags are not user tags.
        Assert.Empty(await RunAsync(w, "zt", "userTag.tag=sys::a"));
        Assert.Equal(["zone-a"], await RunAsync(w, "zt", "tag.tag=sys::a"));
        Assert.Equal(["zone-a", "zone-b", "zone-c"], await RunAsync(w, "zt", "userTag.tag~=%"));

        Assert.Equal(["zone-a", "zone-c"], await RunAsync(w, "zt", "linkedTag.tag=lab1"));
        Assert.Equal(["zone-b"], await RunAsync(w, "zt", "linkedTag.tag~=%2"));

        // A list field matches rows with at least one matching element; negative operators mean "none matches".
        Assert.Equal(["zone-a", "zone-c"], await RunAsync(w, "zt", "tagTexts=lab1"));
        Assert.Equal(["other_1", "zone-b"], await RunAsync(w, "zt", "tagTexts!=lab1"));
        Assert.Equal(["zone-b", "zone-c"], await RunAsync(w, "zt", "tagTexts?=lab2,sys::c"));
        Assert.Equal(["other_1", "zone-a"], await RunAsync(w, "zt", "tagTexts!?=lab2,sys::c"));
        Assert.Equal(["zone-a", "zone-c"], await RunAsync(w, "zt", "tagTexts~=sys%"));
        Assert.Equal(["other_1", "zone-b"], await RunAsync(w, "zt", "tagTexts!~=sys%"));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Two_and_three_hops(Db db)
    {
        await using var w = await QueryWorld.StartAsync(db);

        // Tags whose zone has the user tag lab1: every tag of zone-a and zone-c.
        Assert.Equal(["lab1", "lab1", "sys::a", "sys::c", "team::x"], await RunAsync(w, "tg", "zone.tag.tag=lab1"));
        Assert.Equal(["lab2"], await RunAsync(w, "tg", "zone.tag.tag=lab2"));

        // A negative operator inside a hop is not inverted: "the zone has some tag other than lab1".
        Assert.Equal(["lab1", "lab1", "lab2", "sys::a", "sys::c", "team::x"], await RunAsync(w, "tg", "zone.tag.tag!=lab1"));
        Assert.Equal(["lab1", "sys::a", "team::x"], await RunAsync(w, "tg", "zone.tag.tag!?=lab1,lab2,sys::c"));
        Assert.Equal(["lab1", "sys::c"], await RunAsync(w, "tg", "zone.userTag.tag=lab1", "zone.isDefault=true"));

        // Zones having a tag whose zone has a tag lab2: zone-b only.
        Assert.Equal(["zone-b"], await RunAsync(w, "zt", "tag.zone.tag.tag=lab2"));
        Assert.Equal(["zone-a"], await RunAsync(w, "zt", "tag.realZone.description=first"));
        Assert.Equal(["zone-a", "zone-c"], await RunAsync(w, "zt", "tag.zone.tagTexts?=team::x,sys::c"));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Unknown_nested_fields_are_named(Db db)
    {
        await using var w = await QueryWorld.StartAsync(db);
        Assert.Equal("field[tag.nope] is not a queryable field of TestTagInventory", await ErrorAsync(w, "zt", "tag.nope=1"));
        Assert.Equal("field[nope.tag] is not a queryable field of TestZoneInventory", await ErrorAsync(w, "zt", "nope.tag=1"));
        Assert.Equal("field[tag.zone.nope] is not a queryable field of TestZoneInventory", await ErrorAsync(w, "zt", "tag.zone.nope=x"));
        Assert.Equal("field[tag.realZone.tag.tag] is not a queryable field of ZoneInventory", await ErrorAsync(w, "zt", "tag.realZone.tag.tag=x"));
        Assert.Equal("field[userTag.type] is not a queryable field of TestUserTagInventory", await ErrorAsync(w, "zt", "userTag.type=User"));
        Assert.Contains("field[tag.createDate]", await ErrorAsync(w, "zt", "tag.createDate>soon"), StringComparison.Ordinal);
        Assert.Contains("field[tag.inherent]", await ErrorAsync(w, "zt", "tag.inherent=perhaps"), StringComparison.Ordinal);
        Assert.Contains("text fields", await ErrorAsync(w, "zt", "tag.inherent~=t%"), StringComparison.Ordinal);
        Assert.Contains("has no tags", await ErrorAsync(w, "zt", "tag.__userTag__=x"), StringComparison.Ordinal);
    }
}
