using Stowage.Server.Protocol;

namespace Stowage.Server.Features.BackupStorage;

public sealed class BackupStorageFeature : IApiFeature
{
    public IEnumerable<ApiDescriptor> Apis =>
    [
        DeleteBackupStorage.Api,
        SimpleBackupStorageApis.ChangeState,
        SimpleBackupStorageApis.Update,
        SimpleBackupStorageApis.Attach,
        SimpleBackupStorageApis.Detach,
        SimpleBackupStorageApis.Capacity,
        SimpleBackupStorageApis.Types,
        GetBackupStoragePingStats.Api,
        GetBackupStorageHistory.Api,
        ReconnectBackupStorage.Generic,
        .. QueryApi.Define("QueryBackupStorage", "/backup-storage", "backupStorage", BackupStorageInventory.BaseClass,
            (db, rows, ct) => Task.FromResult(rows), "Query backup storages (nested zone.*, attachedZoneUuids, tags)"),
    ];
}
