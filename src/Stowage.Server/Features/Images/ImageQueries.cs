using Stowage.Persistence.Entities;
using Stowage.Persistence.Query;

namespace Stowage.Server.Features.Images;

/// <summary>How QueryImage maps onto tables, and the hops between images and backup storages.</summary>
public static class ImageQueries
{
    private const string RefTable = "image_backup_storage_refs";

    private static async Task<IReadOnlyList<object>> LoadAsync(Persistence.StowageDbContext db, IReadOnlyList<string> uuids, CancellationToken ct) =>
        [.. await ImageInventory.LoadAsync(db, uuids, ct)];

    public static QueryResource Image { get; } = new QueryResource<ImageEntity>("image", "ImageInventory", "images", ImageRules.ResourceType)
    {
        Fields =
        [
            new("uuid", "uuid"), new("name", "name"), new("description", "description"), new("state", "state"), new("status", "status"),
            new("size", "size", FieldType.Long), new("actualSize", "actual_size", FieldType.Long), new("md5Sum", "md5_sum"), new("sha256Sum", "sha256_sum"),
            new("url", "url"), new("mediaType", "media_type"), new("guestOsType", "guest_os_type"), new("type", "type"), new("platform", "platform"),
            new("architecture", "architecture"), new("format", "format"), new("system", "system", FieldType.Bool), new("virtio", "virtio", FieldType.Bool),
            new("createDate", "create_date", FieldType.Date), new("lastOpDate", "last_op_date", FieldType.Date),
        ],
        Relations =
        [
            new("backupStorage", "backupStorage", "uuid", "uuid", RefTable, "image_uuid", "backup_storage_uuid"),
            new("backupStorageRefs", "imageBackupStorageRef", "uuid", "image_uuid"),
        ],
        ExtraInventoryFields = ["backupStorageRefs"],
        KeyLoader = LoadAsync,
    };

    /// <summary>Target of <c>backupStorageRefs.*</c>; it has no query API of its own.</summary>
    public static QueryResource BackupStorageRef { get; } = new QueryResource<ImageBackupStorageRefEntity>("imageBackupStorageRef", "ImageBackupStorageRefInventory", RefTable, null)
    {
        KeyColumn = "id",
        Fields =
        [
            new("imageUuid", "image_uuid"), new("backupStorageUuid", "backup_storage_uuid"), new("installPath", "install_path"), new("status", "status"),
            new("exportUrl", "export_url"), new("exportMd5Sum", "export_md5_sum"), new("lastError", "last_error"),
            new("lastVerifiedDate", "last_verified_date", FieldType.Date), new("lastVerifyOutcome", "last_verify_outcome"),
            new("createDate", "create_date", FieldType.Date), new("lastOpDate", "last_op_date", FieldType.Date),
        ],
    };

    /// <summary>The backup storage side: QueryBackupStorage image.platform=Linux.</summary>
    public static QueryRelation BackupStorageToImage { get; } = new("image", "image", "uuid", "uuid", RefTable, "backup_storage_uuid", "image_uuid");
}
