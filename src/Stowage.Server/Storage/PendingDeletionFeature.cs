using Stowage.Persistence.Entities;
using Stowage.Persistence.Query;
using Stowage.Server.Protocol;

namespace Stowage.Server.Storage;

/// <summary>A removal of stored bits still pending (a <c>storage_gc_jobs</c> row) as the API shows it.</summary>
public sealed record PendingDeletionInventory(
    long Id, string BackupStorageUuid, string InstallPath, string ResourceUuid, string ResourceType, string Reason, int Attempts, DateTime CreateDate, DateTime LastAttemptDate)
{
    public const string ClassName = "org.zstack.storage.backup.PendingDeletionInventory";

    public static PendingDeletionInventory From(StorageGcJobEntity e) =>
        new(e.Id, e.BackupStorageUuid, e.InstallPath, e.ResourceUuid, e.ResourceType, e.Reason, e.Attempts, e.CreateDate, e.LastAttemptDate);
}

/// <summary>
/// QueryBackupStoragePendingDeletion (<c>GET /backup-storage/pending-deletions</c>): the files of deleted copies that their
/// host could not remove yet, with the last reason and the attempts so far; they are retried until they are gone.
/// </summary>
public sealed class PendingDeletionFeature : IApiFeature
{
    public static QueryResource Query { get; } = new QueryResource<StorageGcJobEntity>("backupStoragePendingDeletion", "PendingDeletionInventory", "storage_gc_jobs", null)
    {
        KeyColumn = "id",
        Fields =
        [
            new("id", "id", FieldType.Long), new("backupStorageUuid", "backup_storage_uuid"), new("installPath", "install_path"),
            new("resourceUuid", "resource_uuid"), new("resourceType", "resource_type"), new("reason", "reason"),
            new("attempts", "attempts", FieldType.Int), new("createDate", "create_date", FieldType.Date), new("lastAttemptDate", "last_attempt_date", FieldType.Date),
        ],
    };

    public IEnumerable<ApiDescriptor> Apis =>
        QueryApi.Define("QueryBackupStoragePendingDeletion", "/backup-storage/pending-deletions", "backupStoragePendingDeletion", PendingDeletionInventory.ClassName,
            (_, rows, _) => Task.FromResult<IReadOnlyList<object>>([.. rows.Cast<StorageGcJobEntity>().Select(PendingDeletionInventory.From)]),
            "Query the removals of deleted copies' files that their backup storage could not do yet (reason, attempts); each is retried when the backup storage is Connected again and every backupStorage/gc.interval seconds");
}
