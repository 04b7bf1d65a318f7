using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Persistence;
using Stowage.Server.Features.Common;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Zones;

public static class UpdateZone
{
    public static ApiDescriptor Api { get; } = new()
    {
        Name = "UpdateZone",
        Method = "PUT",
        Path = "/zones/{uuid}/actions",
        BodyKey = "updateZone",
        ResultClass = ZoneInventory.ClassName,
        Description = "Change the name, description or default flag of a zone",
        Params = [ZoneRules.Uuid, ZoneRules.Name(required: false), ZoneRules.Description, new("isDefault", ParamType.Bool) { Description = "make this the default zone" }],
        SerialKey = args => "zone-" + args.String("uuid"),
        Handler = HandleAsync,
    };

    private static async Task<ApiReply> HandleAsync(ApiContext ctx)
    {
        var ct = ctx.CancellationToken;
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var uuid = ctx.Args.RequiredString("uuid");
        var zone = await db.Zones.FirstOrDefaultAsync(z => z.Uuid == uuid, ct)
            ?? throw ApiException.NotFound($"Cannot find zone[uuid:{uuid}], it may have been deleted");
        if (ctx.Args.String("name") is { } name)
        {
            zone.Name = name;
        }

        if (ctx.Args.Has("description"))
        {
            zone.Description = ctx.Args.String("description");
        }

        if (ctx.Args.Bool("isDefault") is { } isDefault)
        {
            if (isDefault && !zone.IsDefault)
            {
                await db.Zones.Where(z => z.IsDefault && z.Uuid != uuid).ExecuteUpdateAsync(s => s.SetProperty(z => z.IsDefault, false).SetProperty(z => z.Version, z => z.Version + 1), ct);
            }

            zone.IsDefault = isDefault;
        }

        zone.LastOpDate = ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime;
        await ResourceIndex.SaveAsync(db, ct);
        await tx.CommitAsync(ct);
        return ApiReply.Inventory(ZoneInventory.From(zone), ZoneInventory.ClassName);
    }
}
