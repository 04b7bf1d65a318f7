using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Monitoring;

namespace Stowage.Server.Storage;

/// <summary>
/// ZStack's canonical events for backup storage, recorded in the database (queryable history, kept for
/// <c>backupStorage/event.retention</c>), logged with fixed event ids so log pipelines can alert on them, counted in
/// <c>stowage_events_total</c>, and delivered to the webhook subscriptions (every row of the table is, whatever its
/// path: the table is the webhooks' outbox). A new kind of event adds a method here that calls <see cref="Record"/>.
/// </summary>
public sealed partial class BackupStorageEvents(ILogger<BackupStorageEvents> logger, TimeProvider clock, StowageMetrics metrics)
{
    public const string StatusChangePath = "/backup-storage/status/change";
    public const string DisconnectedPath = "/backup-storage/disconnected";
    public const string CapacityCrossedPath = "/backup-storage/capacity/threshold-crossed";
    public const string CapacityClearedPath = "/backup-storage/capacity/threshold-cleared";
    public const string CopyCorruptedPath = "/backup-storage/copy/corrupted";
    public const string CopyRepairedPath = "/backup-storage/copy/repaired";
    public const string CopyRepairFailedPath = "/backup-storage/copy/repair-failed";

    /// <summary>Raised (in process, on the caller's thread) when a backup storage becomes Connected; subscribers must be quick and not throw.</summary>
    public event Action<string>? BecameConnected;

    public void StatusChanged(StowageDbContext db, string uuid, string oldStatus, string newStatus, string? reason)
    {
        if (newStatus == BackupStorageStatus.Connected)
        {
            BecameConnected?.Invoke(uuid);
        }

        Record(db, uuid, StatusChangePath, oldStatus, newStatus, reason);
        LogStatusChanged(logger, uuid, oldStatus, newStatus, reason ?? string.Empty);
    }

    public void Disconnected(StowageDbContext db, string uuid, string reason)
    {
        Record(db, uuid, DisconnectedPath, "Connected", "Disconnected", reason);
        LogDisconnected(logger, uuid, reason);
    }

    /// <summary>The used share of a backup storage reached <c>backupStorage/capacity.alertThreshold</c> (crossed) or fell below it again (cleared).</summary>
    public void CapacityThreshold(StowageDbContext db, string uuid, bool crossed, string reason)
    {
        Record(db, uuid, crossed ? CapacityCrossedPath : CapacityClearedPath, null, null, reason);
        LogCapacity(logger, crossed ? CapacityCrossedPath : CapacityClearedPath, uuid, reason);
    }

    /// <summary>Adds the row to <paramref name="db"/> (the caller saves it with the change it reports) and counts it.</summary>
    public BackupStorageEventEntity Record(StowageDbContext db, string uuid, string path, string? oldStatus, string? newStatus, string? reason)
    {
        var row = new BackupStorageEventEntity
        {
            BackupStorageUuid = uuid, Path = path, OldStatus = oldStatus, NewStatus = newStatus, Reason = reason, CreateDate = clock.GetUtcNow().UtcDateTime,
        };
        db.BackupStorageEvents.Add(row);
        metrics.Events.WithLabels(path).Inc();
        return row;
    }

    /// <summary>A verification found a copy's bytes changed, cut short or gone. <paramref name="item"/> names it (e.g. <c>image[uuid:…]</c>).</summary>
    public void CopyCorrupted(StowageDbContext db, string uuid, string item, string oldStatus, string reason) =>
        AddCopyEvent(db, uuid, CopyCorruptedPath, oldStatus, "Corrupted", $"{item}: {reason}", 1005);

    /// <summary>A Corrupted copy was replaced from a good copy elsewhere and verified: it is Ready again.</summary>
    public void CopyRepaired(StowageDbContext db, string uuid, string item, string reason) =>
        AddCopyEvent(db, uuid, CopyRepairedPath, "Corrupted", "Ready", $"{item}: {reason}", 1006);

    /// <summary>A Corrupted copy could not be replaced (no good copy left: the item is damaged, or the copy failed); it stays Corrupted.</summary>
    public void CopyRepairFailed(StowageDbContext db, string uuid, string item, string reason) =>
        AddCopyEvent(db, uuid, CopyRepairFailedPath, "Corrupted", "Corrupted", $"{item}: {reason}", 1005);

    private void AddCopyEvent(StowageDbContext db, string uuid, string path, string oldStatus, string newStatus, string reason, int eventId)
    {
        // The column holds 4096 characters; a long storage error is cut rather than failing the event.
        reason = reason.Length > 4000 ? reason[..4000] + "…" : reason;
        Record(db, uuid, path, oldStatus, newStatus, reason);
        if (eventId == 1006)
        {
            LogCopyRepaired(logger, path, uuid, reason);
        }
        else
        {
            LogCopyProblem(logger, path, uuid, reason);
        }
    }

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "{Path} {Uuid}: {Reason}")]
    private static partial void LogCopyProblem(ILogger logger, string path, string uuid, string reason);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Information, Message = "{Path} {Uuid}: {Reason}")]
    private static partial void LogCopyRepaired(ILogger logger, string path, string uuid, string reason);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "/backup-storage/status/change {Uuid}: {OldStatus} -> {NewStatus} {Reason}")]
    private static partial void LogStatusChanged(ILogger logger, string uuid, string oldStatus, string newStatus, string reason);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "/backup-storage/disconnected {Uuid}: {Reason}")]
    private static partial void LogDisconnected(ILogger logger, string uuid, string reason);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "{Path} {Uuid}: {Reason}")]
    private static partial void LogCapacity(ILogger logger, string path, string uuid, string reason);
}
