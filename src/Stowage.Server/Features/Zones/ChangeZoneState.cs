using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Resources;
using Stowage.Persistence;
using Stowage.Server.Features.Common;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Zones;

public static class ChangeZoneState
{
    public static ApiDescriptor Api { get; } = new()
    {
        Name = "ChangeZoneState",
        Method = "PUT",
        Path = "/zones/{uuid}/actions",
        BodyKey = "changeZoneState",
        ResultClass = ZoneInventory.ClassName,
        Description = "Enable or disable a zone",
        Params =
        [
            ZoneRules.Uuid,
            new("stateEvent") { Required = true, ValidValues = StateEvents.Valid, IgnoreCase = true, Description = "enable or disable" },
        ],
        SerialKey = args => "zone-" + args.String("uuid"),
        Handler = HandleAsync,
    };

    private static async Task<ApiReply> HandleAsync(ApiContext ctx)
    {
        var ct = ctx.CancellationToken;
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        var uuid = ctx.Args.RequiredString("uuid");
        var zone = await db.Zones.FirstOrDefaultAsync(z => z.Uuid == uuid, ct)
            ?? throw ApiException.NotFound($"Cannot find zone[uuid:{uuid}], it may have been deleted");
        zone.State = StateEvents.Apply(ctx.Args.RequiredString("stateEvent")).ToString();
        zone.LastOpDate = ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime;
        await ResourceIndex.SaveAsync(db, ct);
        return ApiReply.Inventory(ZoneInventory.From(zone), ZoneInventory.ClassName);
    }
}
