using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.Nfs;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Persistence.Query;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.BackupStorage.Nfs;

/// <summary>
/// The NFS storage type (NfsBackupStorage): an NFS export Stowage speaks NFSv3 to itself through libnfs (the
/// driver in <c>Stowage.Nfs</c>), its APIs, its query resource and inventory class, and its table
/// <c>nfs_backup_storages</c> keyed by the backup storage uuid.
/// </summary>
public sealed class NfsStorageType : IStorageTypeModule
{
    public const string TypeName = NfsBackupStorageDriver.TypeName;
    public const string InventoryClassName = "org.zstack.storage.backup.nfs.NfsBackupStorageInventory";
    public const string ReconnectError = "BS.NFS.1000";
    public const string ApiPath = "/backup-storage/nfs";
    private const string Table = "nfs_backup_storages";

    public string Type => TypeName;

    public string InventoryClass => InventoryClassName;

    public IEnumerable<ApiDescriptor> Apis =>
    [
        AddNfsBackupStorage.Api,
        UpdateNfsBackupStorage.Api,
        ReconnectBackupStorage.Define("ReconnectNfsBackupStorage", ApiPath + "/{uuid}/actions", "reconnectNfsBackupStorage", ReconnectError, InventoryClassName),
        .. QueryApi.Define("QueryNfsBackupStorage", ApiPath, "nfsBackupStorage", InventoryClassName,
            (db, rows, ct) => Task.FromResult(rows), "Query NFS backup storages (adds server, exportPath, nfsPort, mountPort, uid, gid)"),
    ];

    public IEnumerable<QueryResource> QueryResources(StorageTypeRegistry types) =>
    [
        BackupStorageQueries.ForType(types, "nfsBackupStorage", "NfsBackupStorageInventory", TypeName,
        [
            BackupStorageQueries.TypeField(Table, "server", "server"),
            BackupStorageQueries.TypeField(Table, "exportPath", "export_path"),
            BackupStorageQueries.TypeField(Table, "nfsPort", "nfs_port", FieldType.Int),
            BackupStorageQueries.TypeField(Table, "mountPort", "mount_port", FieldType.Int),
            BackupStorageQueries.TypeField(Table, "uid", "uid", FieldType.Int),
            BackupStorageQueries.TypeField(Table, "gid", "gid", FieldType.Int),
        ]),
    ];

    public void AddServices(IServiceCollection services)
    {
        Errors.Register(ReconnectError, "Unable to reconnect to nfs backup storage");
        services.AddSingleton(sp => new NfsBackupStorageDriver(sp.GetRequiredService<ILogger<NfsBackupStorageDriver>>()));
        services.AddSingleton<IBackupStorageDriver>(sp => sp.GetRequiredService<NfsBackupStorageDriver>());
    }

    public async Task<IStorageTypeRow?> FindAsync(StowageDbContext db, string uuid, bool tracked, CancellationToken ct)
    {
        var query = tracked ? db.NfsBackupStorages : db.NfsBackupStorages.AsNoTracking();
        return await query.FirstOrDefaultAsync(s => s.Uuid == uuid, ct) is { } row ? new NfsTypeRow(row) : null;
    }

    public async Task<IReadOnlyDictionary<string, IStorageTypeRow>> FindManyAsync(StowageDbContext db, IReadOnlyCollection<string> uuids, CancellationToken ct) =>
        await db.NfsBackupStorages.AsNoTracking().Where(s => uuids.Contains(s.Uuid))
            .ToDictionaryAsync(s => s.Uuid, IStorageTypeRow (s) => new NfsTypeRow(s), ct);
}

/// <summary>An <c>nfs_backup_storages</c> row as the driver's settings record: the ports and the uid/gid.</summary>
public sealed class NfsTypeRow(NfsBackupStorageEntity row) : IStorageTypeRow
{
    public NfsBackupStorageEntity Entity => row;

    public IReadOnlyDictionary<string, string> Settings
    {
        get
        {
            var settings = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                [NfsBackupStorageDriver.UidSetting] = row.Uid.ToString(CultureInfo.InvariantCulture),
                [NfsBackupStorageDriver.GidSetting] = row.Gid.ToString(CultureInfo.InvariantCulture),
            };
            if (row.NfsPort is { } nfs)
            {
                settings[NfsBackupStorageDriver.NfsPortSetting] = nfs.ToString(CultureInfo.InvariantCulture);
            }
            if (row.MountPort is { } mount)
            {
                settings[NfsBackupStorageDriver.MountPortSetting] = mount.ToString(CultureInfo.InvariantCulture);
            }
            return settings;
        }
    }

    public string? CredentialCipher => null;

    public IReadOnlyDictionary<string, object?> InventoryFields => new Dictionary<string, object?>(StringComparer.Ordinal)
    {
        ["server"] = row.Server,
        ["exportPath"] = row.ExportPath,
        ["nfsPort"] = row.NfsPort,
        ["mountPort"] = row.MountPort,
        ["uid"] = row.Uid,
        ["gid"] = row.Gid,
    };

    public void Learn(IReadOnlyDictionary<string, string> learned)
    {
    }
}
