using Stowage.Persistence;
using Stowage.Persistence.Entities;

namespace Stowage.Server.Storage;

/// <summary>
/// ZStack's canonical events for backup storage, recorded in the database (queryable history) and
/// logged with fixed event ids so log pipelines can alert on them.
/// </summary>
public sealed partial class BackupStorageEvents(ILogger<BackupStorageEvents> logger, TimeProvider clock)
{
    public const string StatusChangePath = "/backup-storage/status/change";
    public const string DisconnectedPath = "/backup-storage/disconnected";

    /// <summary>Raised (in process, on the caller's thread) when a backup storage becomes Connected; subscribers must be quick and not throw.</summary>
    public event Action<string>? BecameConnected;

    public void StatusChanged(StowageDbContext db, string uuid, string oldStatus, string newStatus, string? reason)
    {
        if (newStatus == BackupStorageStatus.Connected)
        {
            BecameConnected?.Invoke(uuid);
        }

        db.BackupStorageEvents.Add(new BackupStorageEventEntity
        {
            BackupStorageUuid = uuid, Path = StatusChangePath, OldStatus = oldStatus, NewStatus = newStatus, Reason = reason, CreateDate = clock.GetUtcNow().UtcDateTime,
        });
        LogStatusChanged(logger, uuid, oldStatus, newStatus, reason ?? string.Empty);
    }

    public void Disconnected(StowageDbContext db, string uuid, string reason)
    {
        db.BackupStorageEvents.Add(new BackupStorageEventEntity
        {
            BackupStorageUuid = uuid, Path = DisconnectedPath, OldStatus = "Connected", NewStatus = "Disconnected", Reason = reason, CreateDate = clock.GetUtcNow().UtcDateTime,
        });
        LogDisconnected(logger, uuid, reason);
    }

    [LoggerMessage(EventId = 1001, Level = LogLevel.Information, Message = "/backup-storage/status/change {Uuid}: {OldStatus} -> {NewStatus} {Reason}")]
    private static partial void LogStatusChanged(ILogger logger, string uuid, string oldStatus, string newStatus, string reason);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Warning, Message = "/backup-storage/disconnected {Uuid}: {Reason}")]
    private static partial void LogDisconnected(ILogger logger, string uuid, string reason);
}
