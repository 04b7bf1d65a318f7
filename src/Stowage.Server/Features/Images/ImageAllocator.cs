using Microsoft.EntityFrameworkCore;
using Stowage.Core.Config;
using Stowage.Core.Errors;
using Stowage.Core.Resources;
using Stowage.Persistence;
using Stowage.Server.Features.BackupStorage;
using Stowage.Server.Features.GlobalConfigs;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Images;

/// <summary>
/// Where AddImage writes: the listed backup storages, or (no list, a <c>zoneUuid</c>) one picked by ZStack's
/// allocator rules (§4.3): Enabled, Connected, attached to the zone, <c>availableCapacity &gt; size</c> and
/// <c>availableCapacity − backupStorage/reservedCapacity &gt; size</c>, size being what the source announces
/// (0 when it does not say); one of the survivors at random. ZStack's AddImage has no zone form; this is
/// Stowage's extension for callers that should not have to know the backup storages.
/// </summary>
public static class ImageAllocator
{
    public static readonly ParamSpec ZoneUuid = new("zoneUuid")
    {
        ResourceType = ResourceTypes.Zone, Description = "instead of backupStorageUuids: let Stowage pick one Enabled, Connected backup storage attached to this zone with room for the image",
    };

    /// <summary>The backup storages to download to; SYS.1007 when neither or both ways are given, BS.1003 when none fits.</summary>
    public static async Task<List<string>> TargetsAsync(ApiContext ctx, Uri source, long? sourceSize, CancellationToken ct)
    {
        var listed = ctx.Args.List("backupStorageUuids");
        var zone = ctx.Args.String("zoneUuid");
        if (listed is not null && zone is not null)
        {
            throw ApiException.Argument("give either backupStorageUuids or zoneUuid, not both");
        }

        if (listed is not null)
        {
            return [.. listed.Distinct(StringComparer.Ordinal)];
        }

        if (zone is null)
        {
            throw ApiException.Argument("field[backupStorageUuids] is mandatory unless zoneUuid is given (Stowage then picks a backup storage of that zone)");
        }

        var size = sourceSize ?? 0;
        var reserved = SizeString.TryParse(ctx.Get<GlobalConfigStore>().Get(CoreGlobalConfigs.ReservedCapacity), out var r) ? r : 0;
        return [await PickAsync(ctx.Get<StowageDbContextFactory>(), zone, size, reserved, ct)];
    }

    /// <summary>One backup storage of the zone that fits <paramref name="size"/>, or BS.1003 listing why each was refused.</summary>
    public static async Task<string> PickAsync(StowageDbContextFactory dbFactory, string zoneUuid, long size, long reserved, CancellationToken ct)
    {
        await using var db = dbFactory.CreateDbContext();
        var attached = await db.BackupStorageZoneRefs.AsNoTracking().Where(z => z.ZoneUuid == zoneUuid)
            .Join(db.BackupStorages.AsNoTracking(), z => z.BackupStorageUuid, b => b.Uuid, (z, b) => b)
            .OrderBy(b => b.Uuid).ToListAsync(ct);
        var reasons = new List<string>();
        var main = new List<Persistence.Entities.BackupStorageEntity>();
        foreach (var bs in attached)
        {
            var why = bs.State != nameof(ResourceState.Enabled) ? $"state is {bs.State}"
                : bs.Status != BackupStorageStatus.Connected ? $"status is {bs.Status}"
                : bs.AvailableCapacity <= size ? $"available capacity {bs.AvailableCapacity} bytes is not more than {size} bytes"
                : null;
            if (why is null)
            {
                main.Add(bs);
            }
            else
            {
                reasons.Add($"backup storage[uuid:{bs.Uuid}, name:{bs.Name}]: {why}");
            }
        }

        if (main.Count == 0)
        {
            throw Failure($"no backup storage that satisfies conditions[available capacity > {size} bytes, status = Connected, state = Enabled, attached zone uuid={zoneUuid}] found", reasons, attached.Count);
        }

        var fits = main.Where(b => b.AvailableCapacity - reserved > size).ToList();
        if (fits.Count == 0)
        {
            reasons.AddRange(main.Select(b => $"backup storage[uuid:{b.Uuid}, name:{b.Name}]: {b.AvailableCapacity} bytes available, {reserved} bytes reserved (backupStorage/reservedCapacity)"));
            throw Failure($"after subtracting reserved capacity, no backup storage has required capacity[{size} bytes]", reasons, attached.Count);
        }

        // ZStack shuffles the candidates so images spread over the zone's backup storages.
        return fits[Random.Shared.Next(fits.Count)].Uuid;
    }

    private static ApiException Failure(string condition, List<string> reasons, int attached)
    {
        var detail = attached == 0 ? "; no backup storage is attached to the zone" : "; " + string.Join("; ", reasons);
        return new ApiException(Errors.Of(BackupStorageErrors.Allocate, "unable to allocate a backup storage", Errors.Operr(condition + detail)));
    }
}
