using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.ObjectStore;
using Stowage.ObjectStore.Swift;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Persistence.Query;
using Stowage.Server.Features.BackupStorage.ObjectStore;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.BackupStorage.Swift;

/// <summary>
/// The OpenStack Swift storage type: the driver in <c>Stowage.ObjectStore</c>, its APIs, query resource and
/// inventory class, and its table <c>swift_backup_storages</c> (auth settings and the encrypted password).
/// </summary>
public sealed class SwiftStorageType : IStorageTypeModule
{
    public const string TypeName = SwiftBackupStorageDriver.TypeName;
    public const string InventoryClassName = "org.zstack.storage.backup.swift.SwiftBackupStorageInventory";
    public const string ReconnectError = "BS.SWIFT.1000";
    public const string ApiPath = "/backup-storage/swift";
    private const string Table = "swift_backup_storages";

    public string Type => TypeName;

    public string InventoryClass => InventoryClassName;

    public IEnumerable<ApiDescriptor> Apis =>
    [
        AddSwiftBackupStorage.Api,
        UpdateSwiftBackupStorage.Api,
        ReconnectBackupStorage.Define("ReconnectSwiftBackupStorage", ApiPath + "/{uuid}/actions", "reconnectSwiftBackupStorage", ReconnectError, InventoryClassName),
        .. QueryApi.Define("QuerySwiftBackupStorage", ApiPath, "swiftBackupStorage", InventoryClassName,
            (db, rows, ct) => Task.FromResult(rows), "Query Swift backup storages (adds authUrl, username, projectName, region)"),
    ];

    public IEnumerable<QueryResource> QueryResources(StorageTypeRegistry types) =>
    [
        BackupStorageQueries.ForType(types, "swiftBackupStorage", "SwiftBackupStorageInventory", TypeName,
        [
            BackupStorageQueries.TypeField(Table, "authUrl", "auth_url"),
            BackupStorageQueries.TypeField(Table, "username", "username"),
            BackupStorageQueries.TypeField(Table, "projectName", "project_name"),
            BackupStorageQueries.TypeField(Table, "region", "region"),
        ]),
    ];

    public void AddServices(IServiceCollection services)
    {
        Errors.Register(ReconnectError, "Unable to reconnect to swift backup storage");
        services.AddSingleton(sp => new SwiftBackupStorageDriver(sp.GetRequiredService<ILogger<SwiftBackupStorageDriver>>()));
        services.AddSingleton<IBackupStorageDriver>(sp => sp.GetRequiredService<SwiftBackupStorageDriver>());
    }

    public async Task<IStorageTypeRow?> FindAsync(StowageDbContext db, string uuid, bool tracked, CancellationToken ct)
    {
        var query = tracked ? db.SwiftBackupStorages : db.SwiftBackupStorages.AsNoTracking();
        return await query.FirstOrDefaultAsync(s => s.Uuid == uuid, ct) is { } row ? new SwiftTypeRow(row) : null;
    }

    public async Task<IReadOnlyDictionary<string, IStorageTypeRow>> FindManyAsync(StowageDbContext db, IReadOnlyCollection<string> uuids, CancellationToken ct) =>
        await db.SwiftBackupStorages.AsNoTracking().Where(s => uuids.Contains(s.Uuid))
            .ToDictionaryAsync(s => s.Uuid, IStorageTypeRow (s) => new SwiftTypeRow(s), ct);
}

/// <summary>A <c>swift_backup_storages</c> row as the driver's settings; the password stays in <see cref="CredentialCipher"/>.</summary>
public sealed class SwiftTypeRow(SwiftBackupStorageEntity row) : IStorageTypeRow
{
    public SwiftBackupStorageEntity Entity => row;

    public IReadOnlyDictionary<string, string> Settings
    {
        get
        {
            var settings = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [ObjectStoreSettings.AuthUrl] = row.AuthUrl,
                [ObjectStoreSettings.Username] = row.Username,
            };
            Put(settings, ObjectStoreSettings.AuthVersion, row.AuthVersion);
            Put(settings, ObjectStoreSettings.ProjectName, row.ProjectName);
            Put(settings, ObjectStoreSettings.ProjectDomainName, row.ProjectDomainName);
            Put(settings, ObjectStoreSettings.UserDomainName, row.UserDomainName);
            Put(settings, ObjectStoreSettings.Region, row.Region);
            Put(settings, ObjectStoreSettings.TotalCapacity, ObjectStoreRules.Text(row.TotalCapacity));
            return settings;
        }
    }

    public string? CredentialCipher => row.CredentialCipher;

    public IReadOnlyDictionary<string, object?> InventoryFields => new Dictionary<string, object?>(StringComparer.Ordinal)
    {
        ["authUrl"] = row.AuthUrl,
        ["username"] = row.Username,
        ["authVersion"] = row.AuthVersion,
        ["projectName"] = row.ProjectName,
        ["projectDomainName"] = row.ProjectDomainName,
        ["userDomainName"] = row.UserDomainName,
        ["region"] = row.Region,
    };

    public void Learn(IReadOnlyDictionary<string, string> learned)
    {
    }

    internal static void Put(Dictionary<string, string> settings, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            settings[name] = value;
        }
    }
}
