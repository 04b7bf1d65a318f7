using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.ObjectStore;
using Stowage.ObjectStore.S3;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Persistence.Query;
using Stowage.Server.Features.BackupStorage.ObjectStore;
using Stowage.Server.Features.BackupStorage.Swift;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.BackupStorage.S3;

/// <summary>
/// The S3 storage type: the driver in <c>Stowage.ObjectStore</c>, its APIs, query resource and inventory class,
/// and its table <c>s3_backup_storages</c> (endpoint, access key, region, addressing and the encrypted secret key).
/// </summary>
public sealed class S3StorageType : IStorageTypeModule
{
    public const string TypeName = S3BackupStorageDriver.TypeName;
    public const string InventoryClassName = "org.zstack.storage.backup.s3.S3BackupStorageInventory";
    public const string ReconnectError = "BS.S3.1000";
    public const string ApiPath = "/backup-storage/s3";
    private const string Table = "s3_backup_storages";

    public string Type => TypeName;

    public string InventoryClass => InventoryClassName;

    public IEnumerable<ApiDescriptor> Apis =>
    [
        AddS3BackupStorage.Api,
        UpdateS3BackupStorage.Api,
        ReconnectBackupStorage.Define("ReconnectS3BackupStorage", ApiPath + "/{uuid}/actions", "reconnectS3BackupStorage", ReconnectError, InventoryClassName),
        .. QueryApi.Define("QueryS3BackupStorage", ApiPath, "s3BackupStorage", InventoryClassName,
            (db, rows, ct) => Task.FromResult(rows), "Query S3 backup storages (adds endpoint, accessKey, region, pathStyle)"),
    ];

    public IEnumerable<QueryResource> QueryResources(StorageTypeRegistry types) =>
    [
        BackupStorageQueries.ForType(types, "s3BackupStorage", "S3BackupStorageInventory", TypeName,
        [
            BackupStorageQueries.TypeField(Table, "endpoint", "endpoint"),
            BackupStorageQueries.TypeField(Table, "accessKey", "access_key"),
            BackupStorageQueries.TypeField(Table, "region", "region"),
            BackupStorageQueries.TypeField(Table, "pathStyle", "path_style", FieldType.Bool),
        ]),
    ];

    public void AddServices(IServiceCollection services)
    {
        Errors.Register(ReconnectError, "Unable to reconnect to s3 backup storage");
        services.AddSingleton(sp => new S3BackupStorageDriver(sp.GetRequiredService<ILogger<S3BackupStorageDriver>>()));
        services.AddSingleton<IBackupStorageDriver>(sp => sp.GetRequiredService<S3BackupStorageDriver>());
    }

    public async Task<IStorageTypeRow?> FindAsync(StowageDbContext db, string uuid, bool tracked, CancellationToken ct)
    {
        var query = tracked ? db.S3BackupStorages : db.S3BackupStorages.AsNoTracking();
        return await query.FirstOrDefaultAsync(s => s.Uuid == uuid, ct) is { } row ? new S3TypeRow(row) : null;
    }

    public async Task<IReadOnlyDictionary<string, IStorageTypeRow>> FindManyAsync(StowageDbContext db, IReadOnlyCollection<string> uuids, CancellationToken ct) =>
        await db.S3BackupStorages.AsNoTracking().Where(s => uuids.Contains(s.Uuid))
            .ToDictionaryAsync(s => s.Uuid, IStorageTypeRow (s) => new S3TypeRow(s), ct);
}

/// <summary>An <c>s3_backup_storages</c> row as the driver's settings; the secret key stays in <see cref="CredentialCipher"/>.</summary>
public sealed class S3TypeRow(S3BackupStorageEntity row) : IStorageTypeRow
{
    public S3BackupStorageEntity Entity => row;

    public IReadOnlyDictionary<string, string> Settings
    {
        get
        {
            var settings = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [ObjectStoreSettings.AccessKey] = row.AccessKey,
                [ObjectStoreSettings.PathStyle] = row.PathStyle ? "true" : "false",
            };
            SwiftTypeRow.Put(settings, ObjectStoreSettings.Endpoint, row.Endpoint);
            SwiftTypeRow.Put(settings, ObjectStoreSettings.Region, row.Region);
            SwiftTypeRow.Put(settings, ObjectStoreSettings.TotalCapacity, row.TotalCapacity?.ToString(CultureInfo.InvariantCulture));
            return settings;
        }
    }

    public string? CredentialCipher => row.CredentialCipher;

    public IReadOnlyDictionary<string, object?> InventoryFields => new Dictionary<string, object?>(StringComparer.Ordinal)
    {
        ["endpoint"] = row.Endpoint,
        ["accessKey"] = row.AccessKey,
        ["region"] = row.Region,
        ["pathStyle"] = row.PathStyle,
    };

    public void Learn(IReadOnlyDictionary<string, string> learned)
    {
    }
}
