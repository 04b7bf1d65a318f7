using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Config;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.GlobalConfigs;
using Stowage.Server.Storage;

namespace Stowage.Server.Monitoring;

/// <summary>
/// Capacity alerts, as CloudStack's storage capacity thresholds: after each successful ping or connect (run by the
/// backup storage's owner only, so one server raises each alert) the used share is compared with
/// <c>backupStorage/capacity.alertThreshold</c>; crossing it raises <c>/backup-storage/capacity/threshold-crossed</c>
/// once, falling below it again raises <c>…/threshold-cleared</c> once. The verdict is cached in memory; whenever the
/// cache is missing or disagrees, the backup storage's last capacity event decides, so neither a restart nor a change
/// of owner raises a duplicate.
/// </summary>
public sealed partial class CapacityAlerts(StowageDbContextFactory dbFactory, GlobalConfigStore configs, BackupStorageEvents events, ILogger<CapacityAlerts> logger)
{
    public static readonly GlobalConfigDefinition Threshold = new(
        "backupStorage", "capacity.alertThreshold",
        "Used capacity, in percent of a backup storage's total, at which a /backup-storage/capacity/threshold-crossed event is raised (and cleared when usage falls below); 0 turns the alert off",
        "90", GlobalConfigType.Long, NumberGreaterThan: 0, NumberLessThan: 100);

    private readonly ConcurrentDictionary<string, bool> _above = new(StringComparer.Ordinal);

    /// <summary>Compares after a ping or connect; a failure here is logged and never fails the ping that called it.</summary>
    public async Task CheckAsync(BackupStorageEntity bs, CancellationToken ct)
    {
        try
        {
            await CompareAsync(bs, ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogFailed(logger, e, bs.Uuid);
        }
    }

    private async Task CompareAsync(BackupStorageEntity bs, CancellationToken ct)
    {
        var threshold = configs.GetLong(Threshold);
        if (bs.TotalCapacity <= 0)
        {
            return;
        }

        var usedPercent = (bs.TotalCapacity - bs.AvailableCapacity) * 100.0 / bs.TotalCapacity;
        var above = threshold > 0 && usedPercent >= threshold;
        if (_above.TryGetValue(bs.Uuid, out var cached) && cached == above)
        {
            return;
        }

        // Unknown or about to change: the last capacity event decides (another server may have owned it meanwhile).
        await using var db = dbFactory.CreateDbContext();
        var last = await db.BackupStorageEvents.AsNoTracking()
            .Where(e => e.BackupStorageUuid == bs.Uuid && (e.Path == BackupStorageEvents.CapacityCrossedPath || e.Path == BackupStorageEvents.CapacityClearedPath))
            .OrderByDescending(e => e.Id).Select(e => e.Path).FirstOrDefaultAsync(ct);
        if (above == (last == BackupStorageEvents.CapacityCrossedPath))
        {
            _above[bs.Uuid] = above;
            return;
        }

        var reason = string.Create(CultureInfo.InvariantCulture,
            $"backup storage[uuid:{bs.Uuid}, name:{bs.Name}] uses {usedPercent:0.#}% of {bs.TotalCapacity} bytes ({bs.AvailableCapacity} available); backupStorage/capacity.alertThreshold is {threshold}%");
        events.CapacityThreshold(db, bs.Uuid, above, reason);
        await db.SaveChangesAsync(CancellationToken.None);
        _above[bs.Uuid] = above;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "capacity alert check of backup storage {Uuid} failed")]
    private static partial void LogFailed(ILogger logger, Exception exception, string uuid);
}
