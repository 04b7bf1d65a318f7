using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Resources;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.Common;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.BackupStorage;

/// <summary>The small backup-storage APIs: state, update, attach/detach, capacity and types.</summary>
public static class SimpleBackupStorageApis
{
    internal static async Task<BackupStorageEntity> FindAsync(StowageDbContext db, string uuid, CancellationToken ct) =>
        await db.BackupStorages.FirstOrDefaultAsync(b => b.Uuid == uuid, ct)
        ?? throw ApiException.NotFound($"Cannot find backup storage[uuid:{uuid}], it may have been deleted");

    private static string Key(ApiArguments a) => BackupStorageConnector.LockKey(a.String("uuid") ?? a.String("backupStorageUuid") ?? string.Empty);

    public static ApiDescriptor ChangeState { get; } = new()
    {
        Name = "ChangeBackupStorageState",
        Method = "PUT",
        Path = "/backup-storage/{uuid}/actions",
        BodyKey = "changeBackupStorageState",
        ResultClass = BackupStorageInventory.BaseClass,
        Description = "Enable or disable a backup storage (idempotent); needs no connection to the host",
        Params = [BackupStorageParams.BsUuid(), new("stateEvent") { Required = true, ValidValues = StateEvents.Valid, IgnoreCase = true, Description = "enable or disable" }],
        SerialKey = Key,
        Handler = async ctx =>
        {
            var ct = ctx.CancellationToken;
            await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
            var bs = await FindAsync(db, ctx.Args.RequiredString("uuid"), ct);
            bs.State = StateEvents.Apply(ctx.Args.RequiredString("stateEvent")).ToString();
            bs.LastOpDate = ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime;
            await ResourceIndex.SaveAsync(db, ct);
            return (await BackupStorageInventory.LoadOneAsync(ctx, db, bs.Uuid)).Reply();
        },
    };

    public static ApiDescriptor Update { get; } = new()
    {
        Name = "UpdateBackupStorage",
        Method = "PUT",
        Path = "/backup-storage/{uuid}/actions",
        BodyKey = "updateBackupStorage",
        ResultClass = BackupStorageInventory.BaseClass,
        Description = "Change the name or description of a backup storage",
        Params = [BackupStorageParams.BsUuid(), new("name") { MaxLength = 255, EmptyString = false, Description = "new name" }, new("description") { MaxLength = 2048, Description = "new description" }],
        SerialKey = Key,
        Handler = async ctx =>
        {
            var ct = ctx.CancellationToken;
            await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
            var bs = await FindAsync(db, ctx.Args.RequiredString("uuid"), ct);
            ApplyNameAndDescription(ctx.Args, bs, ctx.Get<TimeProvider>());
            await ResourceIndex.SaveAsync(db, ct);
            return (await BackupStorageInventory.LoadOneAsync(ctx, db, bs.Uuid)).Reply();
        },
    };

    internal static void ApplyNameAndDescription(ApiArguments a, BackupStorageEntity bs, TimeProvider clock)
    {
        if (a.String("name") is { } name)
        {
            bs.Name = name;
        }

        if (a.Has("description"))
        {
            bs.Description = a.String("description");
        }

        bs.LastOpDate = clock.GetUtcNow().UtcDateTime;
    }

    private static readonly ParamSpec ZoneUuid = new("zoneUuid") { InPath = true, Required = true, ResourceType = ResourceTypes.Zone, Description = "zone uuid" };

    public static ApiDescriptor Attach { get; } = new()
    {
        Name = "AttachBackupStorageToZone",
        Method = "POST",
        Path = "/zones/{zoneUuid}/backup-storage/{backupStorageUuid}",
        BodyKey = "params",
        ResultClass = BackupStorageInventory.BaseClass,
        Description = "Attach a backup storage to a zone (a backup storage may serve many zones)",
        Params = [ZoneUuid, BackupStorageParams.BsUuid("backupStorageUuid")],
        SerialKey = Key,
        Handler = async ctx =>
        {
            var ct = ctx.CancellationToken;
            var zone = ctx.Args.RequiredString("zoneUuid");
            var uuid = ctx.Args.RequiredString("backupStorageUuid");
            await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
            if (await db.BackupStorageZoneRefs.AnyAsync(r => r.BackupStorageUuid == uuid && r.ZoneUuid == zone, ct))
            {
                throw ApiException.Operation($"backup storage[uuid:{uuid}] has been attached to zone[uuid:{zone}]");
            }

            var now = ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime;
            db.BackupStorageZoneRefs.Add(new BackupStorageZoneRefEntity { BackupStorageUuid = uuid, ZoneUuid = zone, CreateDate = now, LastOpDate = now });
            await ResourceIndex.SaveAsync(db, ct);
            return (await BackupStorageInventory.LoadOneAsync(ctx, db, uuid)).Reply();
        },
    };

    public static ApiDescriptor Detach { get; } = new()
    {
        Name = "DetachBackupStorageFromZone",
        Method = "DELETE",
        Path = "/zones/{zoneUuid}/backup-storage/{backupStorageUuid}",
        ResultClass = BackupStorageInventory.BaseClass,
        Description = "Detach a backup storage from a zone",
        Params = [ZoneUuid, BackupStorageParams.BsUuid("backupStorageUuid")],
        SerialKey = Key,
        Handler = async ctx =>
        {
            var ct = ctx.CancellationToken;
            var zone = ctx.Args.RequiredString("zoneUuid");
            var uuid = ctx.Args.RequiredString("backupStorageUuid");
            await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
            var removed = await db.BackupStorageZoneRefs.Where(r => r.BackupStorageUuid == uuid && r.ZoneUuid == zone).ExecuteDeleteAsync(ct);
            if (removed == 0)
            {
                throw ApiException.Operation($"backup storage[uuid:{uuid}] has not been attached to zone[uuid:{zone}]");
            }

            return (await BackupStorageInventory.LoadOneAsync(ctx, db, uuid)).Reply();
        },
    };

    public static ApiDescriptor Capacity { get; } = new()
    {
        Name = "GetBackupStorageCapacity",
        Method = "GET",
        Path = "/backup-storage/capacities",
        Kind = ApiKind.Sync,
        Description = "Sum of total and available capacity over backup storages chosen by zone, by uuid, or all; each counted once",
        Params =
        [
            new("zoneUuids", ParamType.StringList) { Pattern = CommonPatterns.Uuid(), PatternText = "32 lowercase hex characters", Description = "zones whose attached backup storages count" },
            new("backupStorageUuids", ParamType.StringList) { Pattern = CommonPatterns.Uuid(), PatternText = "32 lowercase hex characters", Description = "backup storages that count" },
            new("all", ParamType.Bool) { Description = "count every backup storage" },
        ],
        Handler = async ctx =>
        {
            var ct = ctx.CancellationToken;
            var zones = ctx.Args.List("zoneUuids") ?? [];
            var uuids = ctx.Args.List("backupStorageUuids") ?? [];
            var all = ctx.Args.Bool("all") ?? false;
            if (!all && zones.Count == 0 && uuids.Count == 0)
            {
                throw ApiException.Argument("zoneUuids, backupStorageUuids must have at least one be none-empty list, or all is set to true");
            }

            await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
            var query = db.BackupStorages.AsNoTracking();
            if (!all)
            {
                var inZones = db.BackupStorageZoneRefs.Where(r => zones.Contains(r.ZoneUuid)).Select(r => r.BackupStorageUuid);
                query = query.Where(b => uuids.Contains(b.Uuid) || inZones.Contains(b.Uuid));
            }

            var rows = await query.Select(b => new { b.TotalCapacity, b.AvailableCapacity }).ToListAsync(ct);
            return ApiReply.Of(new JsonObject
            {
                ["totalCapacity"] = rows.Sum(r => r.TotalCapacity),
                ["availableCapacity"] = rows.Sum(r => r.AvailableCapacity),
                ["success"] = true,
            });
        },
    };

    public static ApiDescriptor Types { get; } = new()
    {
        Name = "GetBackupStorageTypes",
        Method = "GET",
        Path = "/backup-storage/types",
        Kind = ApiKind.Sync,
        Description = "The registered backup storage types",
        Handler = ctx => Task.FromResult(ApiReply.Of(new JsonObject
        {
            ["types"] = new JsonArray([.. ctx.Get<StorageTypeRegistry>().Types.Select(t => JsonValue.Create(t))]),
        })),
    };
}
