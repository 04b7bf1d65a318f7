using Stowage.Persistence.Entities;
using Stowage.Persistence.Query;

namespace Stowage.Server.Features.VolumeArchives;

/// <summary>
/// QueryVolumeSnapshot and QueryVolumeBackup over the shared table (each fixed to its kind), their
/// <c>backupStorageRefs.*</c> targets, and the backup storage side (<c>QueryBackupStorage volumeSnapshot.uuid=...</c>).
/// </summary>
public static class VolumeArchiveQueries
{
    private const string Table = "volume_archives";
    private const string RefTable = "volume_archive_backup_storage_refs";

    public static QueryResource Resource(VolumeArchiveKind kind) => new QueryResource<VolumeArchiveEntity>(kind.QueryName, kind.ApiNoun + "Inventory", Table, kind.ResourceType)
    {
        Fields =
        [
            new("uuid", "uuid"), new("name", "name"), new("description", "description"), new("volumeUuid", "volume_uuid"),
            .. kind.HasTree ? new QueryField[] { new("treeUuid", "tree_uuid"), new("parentUuid", "parent_uuid") } : [],
            new("status", "status"), new("format", "format"), new("size", "size", FieldType.Long), new("actualSize", "actual_size", FieldType.Long),
            new("md5Sum", "md5_sum"), new("sha256Sum", "sha256_sum"), new("url", "url"),
            new("createDate", "create_date", FieldType.Date), new("lastOpDate", "last_op_date", FieldType.Date),
        ],
        Relations =
        [
            new("backupStorage", "backupStorage", "uuid", "uuid", RefTable, "archive_uuid", "backup_storage_uuid"),
            new("backupStorageRefs", kind.RefQueryName, "uuid", "archive_uuid"),
        ],
        ExtraInventoryFields = ["backupStorageRefs"],
        FixedCondition = $"{{t}}.\"kind\" = '{kind.Kind}'",
        KeyLoader = async (db, uuids, ct) => [.. await VolumeArchiveInventory.LoadAsync(db, kind, uuids, ct)],
    };

    /// <summary>Target of <c>backupStorageRefs.*</c>; it has no query API of its own.</summary>
    public static QueryResource RefResource(VolumeArchiveKind kind) => new QueryResource<VolumeArchiveRefEntity>(kind.RefQueryName, kind.ApiNoun + "BackupStorageRefInventory", RefTable, null)
    {
        KeyColumn = "id",
        Fields =
        [
            new(kind.RefUuidField, "archive_uuid"), new("backupStorageUuid", "backup_storage_uuid"), new("installPath", "install_path"),
            new("status", "status"), new("lastError", "last_error"),
            new("lastVerifiedDate", "last_verified_date", FieldType.Date), new("lastVerifyOutcome", "last_verify_outcome"),
            new("createDate", "create_date", FieldType.Date), new("lastOpDate", "last_op_date", FieldType.Date),
        ],
    };

    public static IReadOnlyList<QueryResource> All { get; } = [.. VolumeArchiveKind.All.SelectMany(k => new[] { Resource(k), RefResource(k) })];

    /// <summary>The backup storage side: <c>volumeSnapshot.*</c> and <c>volumeBackup.*</c> in QueryBackupStorage.</summary>
    public static IReadOnlyList<QueryRelation> BackupStorageRelations { get; } =
        [.. VolumeArchiveKind.All.Select(k => new QueryRelation(k.QueryName, k.QueryName, "uuid", "uuid", RefTable, "backup_storage_uuid", "archive_uuid"))];
}
