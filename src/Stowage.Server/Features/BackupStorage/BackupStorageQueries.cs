using Stowage.Core.Resources;
using Stowage.Persistence.Entities;
using Stowage.Persistence.Query;

namespace Stowage.Server.Features.BackupStorage;

/// <summary>How QueryBackupStorage and QuerySftpBackupStorage map onto tables.</summary>
public static class BackupStorageQueries
{
    public const string ResourceType = "BackupStorageVO";
    public const string SftpType = "SftpBackupStorage";

    private static readonly QueryRelation ZoneRelation = new("zone", "zone", "uuid", "uuid", "backup_storage_zone_refs", "backup_storage_uuid", "zone_uuid");
    private static readonly QueryListField AttachedZones = new("attachedZoneUuids", "backup_storage_zone_refs", "backup_storage_uuid", "zone_uuid");

    private static readonly IReadOnlyList<QueryField> CommonFields =
    [
        new("uuid", "uuid"), new("name", "name"), new("description", "description"), new("url", "url"),
        new("totalCapacity", "total_capacity", FieldType.Long), new("availableCapacity", "available_capacity", FieldType.Long),
        new("type", "type"), new("state", "state"), new("status", "status"), new("lastError", "last_error"),
        new("createDate", "create_date", FieldType.Date), new("lastOpDate", "last_op_date", FieldType.Date),
    ];

    private static QueryField SftpField(string name, string column, FieldType type = FieldType.String) => new(name, column, type)
    {
        Expression = $"(SELECT s.\"{column}\" FROM \"sftp_backup_storages\" s WHERE s.\"uuid\" = {{t}}.\"uuid\")",
    };

    private static async Task<IReadOnlyList<object>> LoadAsync(Persistence.StowageDbContext db, IReadOnlyList<string> uuids, CancellationToken ct) =>
        [.. await BackupStorageInventory.LoadAsync(db, uuids, ct)];

    public static QueryResource BackupStorage { get; } = new QueryResource<BackupStorageEntity>("backupStorage", "BackupStorageInventory", "backup_storages", ResourceType)
    {
        Fields = CommonFields,
        Relations = [ZoneRelation, Images.ImageQueries.BackupStorageToImage, .. VolumeArchives.VolumeArchiveQueries.BackupStorageRelations],
        ListFields = [AttachedZones],
        KeyLoader = LoadAsync,
    };

    public static QueryResource SftpBackupStorage { get; } = new QueryResource<BackupStorageEntity>("sftpBackupStorage", "SftpBackupStorageInventory", "backup_storages", ResourceType)
    {
        Fields = [.. CommonFields, SftpField("hostname", "hostname"), SftpField("username", "username"), SftpField("sshPort", "ssh_port", FieldType.Int)],
        Relations = [ZoneRelation, Images.ImageQueries.BackupStorageToImage, .. VolumeArchives.VolumeArchiveQueries.BackupStorageRelations],
        ListFields = [AttachedZones],
        FixedCondition = "{t}.\"type\" = 'SftpBackupStorage'",
        KeyLoader = LoadAsync,
    };

    /// <summary>The zone side of the relation: QueryZone backupStorage.name=...</summary>
    public static QueryRelation ZoneToBackupStorage { get; } = new("backupStorage", "backupStorage", "uuid", "uuid", "backup_storage_zone_refs", "zone_uuid", "backup_storage_uuid");

    public static void RegisterResourceType() => ResourceTypes.Register(ResourceType);
}
