using Stowage.Persistence.Entities;
using Stowage.Persistence.Query;
using Stowage.Server.Protocol;

namespace Stowage.Server.Monitoring;

/// <summary>A recorded backup storage event as the API shows it.</summary>
public sealed record BackupStorageEventInventory(long Id, string BackupStorageUuid, string Path, string? OldStatus, string? NewStatus, string? Reason, DateTime CreateDate)
{
    public const string ClassName = "org.zstack.storage.backup.BackupStorageEventInventory";

    public static BackupStorageEventInventory From(BackupStorageEventEntity e) => new(e.Id, e.BackupStorageUuid, e.Path, e.OldStatus, e.NewStatus, e.Reason, e.CreateDate);
}

/// <summary>
/// QueryBackupStorageEvent (<c>GET /backup-storage/events</c>): the event history (status changes, disconnections,
/// capacity alerts, corruption and repair), newest kept for <c>backupStorage/event.retention</c>.
/// </summary>
public sealed class EventFeature : IApiFeature
{
    public static QueryResource Query { get; } = new QueryResource<BackupStorageEventEntity>("backupStorageEvent", "BackupStorageEventInventory", "backup_storage_events", null)
    {
        KeyColumn = "id",
        Fields =
        [
            new("id", "id", FieldType.Long), new("backupStorageUuid", "backup_storage_uuid"), new("path", "path"), new("oldStatus", "old_status"),
            new("newStatus", "new_status"), new("reason", "reason"), new("createDate", "create_date", FieldType.Date),
        ],
    };

    public IEnumerable<ApiDescriptor> Apis =>
        QueryApi.Define("QueryBackupStorageEvent", "/backup-storage/events", "backupStorageEvent", BackupStorageEventInventory.ClassName,
            (_, rows, _) => Task.FromResult<IReadOnlyList<object>>([.. rows.Cast<BackupStorageEventEntity>().Select(BackupStorageEventInventory.From)]),
            "Query the backup storage events (path: /backup-storage/status/change, /backup-storage/disconnected, /backup-storage/capacity/threshold-crossed and -cleared, "
            + "/backup-storage/copy/corrupted, -repaired, -repair-failed), kept for backupStorage/event.retention seconds");
}
