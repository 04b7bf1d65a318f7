using Microsoft.EntityFrameworkCore;
using Stowage.Core.Resources;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.Common;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Zones;

public static class CreateZone
{
    public static ApiDescriptor Api { get; } = new()
    {
        Name = "CreateZone",
        Method = "POST",
        Path = "/zones",
        BodyKey = "params",
        TakesTags = true,
        ResultClass = ZoneInventory.ClassName,
        Description = "Create a zone",
        Params =
        [
            ZoneRules.Name(required: true),
            ZoneRules.Description,
            new("isDefault", ParamType.Bool) { Description = "make this the default zone (clears the flag elsewhere)" },
            new("resourceUuid") { Description = "uuid to give the new zone (32 hex)" },
            new("tagUuids", ParamType.StringList) { Description = "accepted for SDK compatibility; tag patterns are not supported" },
        ],
        Handler = HandleAsync,
    };

    private static async Task<ApiReply> HandleAsync(ApiContext ctx)
    {
        var ct = ctx.CancellationToken;
        var clock = ctx.Get<TimeProvider>();
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var uuid = await ResourceIndex.ClaimUuidAsync(db, ctx.Args.String("resourceUuid"), ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var isDefault = ctx.Args.Bool("isDefault") ?? false;
        if (isDefault)
        {
            await db.Zones.Where(z => z.IsDefault).ExecuteUpdateAsync(s => s.SetProperty(z => z.IsDefault, false).SetProperty(z => z.Version, z => z.Version + 1), ct);
        }

        var zone = new ZoneEntity
        {
            Uuid = uuid,
            Name = ctx.Args.RequiredString("name"),
            Description = ctx.Args.String("description"),
            State = nameof(ResourceState.Enabled),
            Type = "zstack",
            IsDefault = isDefault,
            CreateDate = now,
            LastOpDate = now,
        };
        db.Zones.Add(zone);
        ResourceIndex.Add(db, uuid, ResourceTypes.Zone, zone.Name, now, ctx.SystemTags, ctx.UserTags);
        await ResourceIndex.SaveAsync(db, ct);
        await tx.CommitAsync(ct);
        return ApiReply.Inventory(ZoneInventory.From(zone), ZoneInventory.ClassName);
    }
}
