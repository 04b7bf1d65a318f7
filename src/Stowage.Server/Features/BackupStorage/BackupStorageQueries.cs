using Stowage.Core.Resources;
using Stowage.Persistence.Entities;
using Stowage.Persistence.Query;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.BackupStorage;

/// <summary>
/// How QueryBackupStorage and each type's Query&lt;Type&gt;BackupStorage map onto tables: the common
/// <c>backup_storages</c> row, plus the type's own columns read from its table by <see cref="TypeField"/>.
/// </summary>
public static class BackupStorageQueries
{
    public const string ResourceType = "BackupStorageVO";

    private static readonly QueryRelation ZoneRelation = new("zone", "zone", "uuid", "uuid", "backup_storage_zone_refs", "backup_storage_uuid", "zone_uuid");
    private static readonly QueryListField AttachedZones = new("attachedZoneUuids", "backup_storage_zone_refs", "backup_storage_uuid", "zone_uuid");

    private static readonly IReadOnlyList<QueryField> CommonFields =
    [
        new("uuid", "uuid"), new("name", "name"), new("description", "description"), new("url", "url"),
        new("totalCapacity", "total_capacity", FieldType.Long), new("availableCapacity", "available_capacity", FieldType.Long),
        new("type", "type"), new("state", "state"), new("status", "status"), new("lastError", "last_error"),
        new("createDate", "create_date", FieldType.Date), new("lastOpDate", "last_op_date", FieldType.Date),
    ];

    /// <summary>A column of a type's own table (keyed by the backup storage uuid), queryable as <paramref name="name"/>.</summary>
    public static QueryField TypeField(string table, string name, string column, FieldType type = FieldType.String) => new(name, column, type)
    {
        Expression = $"(SELECT s.\"{column}\" FROM \"{table}\" s WHERE s.\"uuid\" = {{t}}.\"uuid\")",
    };

    private static Func<Persistence.StowageDbContext, IReadOnlyList<string>, CancellationToken, Task<IReadOnlyList<object>>> Loader(StorageTypeRegistry types) =>
        async (db, uuids, ct) => [.. await BackupStorageInventory.LoadAsync(db, types, uuids, ct)];

    public static QueryResource BackupStorage(StorageTypeRegistry types) => new QueryResource<BackupStorageEntity>("backupStorage", "BackupStorageInventory", "backup_storages", ResourceType)
    {
        Fields = CommonFields,
        Relations = [ZoneRelation, Images.ImageQueries.BackupStorageToImage, .. VolumeArchives.VolumeArchiveQueries.BackupStorageRelations],
        ListFields = [AttachedZones],
        KeyLoader = Loader(types),
    };

    /// <summary>
    /// The queryable resource of one type (<paramref name="name"/>, e.g. <c>sftpBackupStorage</c>): the common
    /// fields and relations, the type's own <paramref name="typeFields"/>, only rows of <paramref name="type"/>.
    /// </summary>
    public static QueryResource ForType(StorageTypeRegistry types, string name, string inventoryName, string type, IEnumerable<QueryField> typeFields) =>
        new QueryResource<BackupStorageEntity>(name, inventoryName, "backup_storages", ResourceType)
        {
            Fields = [.. CommonFields, .. typeFields],
            Relations = [ZoneRelation, Images.ImageQueries.BackupStorageToImage, .. VolumeArchives.VolumeArchiveQueries.BackupStorageRelations],
            ListFields = [AttachedZones],
            // The type name is a registered constant, never user text.
            FixedCondition = $"{{t}}.\"type\" = '{type}'",
            KeyLoader = Loader(types),
        };

    /// <summary>The zone side of the relation: QueryZone backupStorage.name=...</summary>
    public static QueryRelation ZoneToBackupStorage { get; } = new("backupStorage", "backupStorage", "uuid", "uuid", "backup_storage_zone_refs", "zone_uuid", "backup_storage_uuid");

    public static void RegisterResourceType() => ResourceTypes.Register(ResourceType);
}
