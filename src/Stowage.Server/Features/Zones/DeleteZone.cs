using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Features.Common;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Zones;

public static class DeleteZone
{
    public static ApiDescriptor Api { get; } = new()
    {
        Name = "DeleteZone",
        Method = "DELETE",
        Path = "/zones/{uuid}",
        Description = "Delete a zone and its tags; deleting a zone that does not exist succeeds",
        Params =
        [
            new("uuid") { InPath = true, Required = true, Pattern = CommonPatterns.Uuid(), PatternText = "32 lowercase hex characters", Description = "zone uuid" },
            CommonParams.DeleteMode,
        ],
        SerialKey = args => "zone-" + args.String("uuid"),
        Handler = HandleAsync,
    };

    private static async Task<ApiReply> HandleAsync(ApiContext ctx)
    {
        var ct = ctx.CancellationToken;
        var uuid = ctx.Args.RequiredString("uuid");
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        foreach (var hook in ctx.Services.GetServices<IZoneDeletionHook>())
        {
            await hook.BeforeDeleteAsync(db, uuid, ctx.Args.String("deleteMode") == "Enforcing", ct);
        }

        await db.Zones.Where(z => z.Uuid == uuid).ExecuteDeleteAsync(ct);
        await ResourceIndex.RemoveAsync(db, uuid, ct);
        await tx.CommitAsync(ct);
        return ApiReply.Empty();
    }
}

/// <summary>Lets later features (zone attachments of backup storages) veto or clean up a zone deletion in its transaction.</summary>
public interface IZoneDeletionHook
{
    Task BeforeDeleteAsync(StowageDbContext db, string zoneUuid, bool enforcing, CancellationToken cancellationToken);
}
