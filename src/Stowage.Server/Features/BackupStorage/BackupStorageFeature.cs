using Stowage.Server.Protocol;

namespace Stowage.Server.Features.BackupStorage;

public sealed class BackupStorageFeature : IApiFeature
{
    public IEnumerable<ApiDescriptor> Apis =>
    [
        AddSftpBackupStorage.Api,
        DeleteBackupStorage.Api,
        SimpleBackupStorageApis.ChangeState,
        SimpleBackupStorageApis.Update,
        SimpleBackupStorageApis.Attach,
        SimpleBackupStorageApis.Detach,
        SimpleBackupStorageApis.Capacity,
        SimpleBackupStorageApis.Types,
        GetBackupStoragePingStats.Api,
        UpdateSftpBackupStorage.Api,
        ReconnectBackupStorage.Generic,
        ReconnectBackupStorage.Sftp,
        .. QueryApi.Define("QueryBackupStorage", "/backup-storage", "backupStorage", BackupStorageInventory.BaseClass,
            (db, rows, ct) => Task.FromResult(rows), "Query backup storages (nested zone.*, attachedZoneUuids, tags)"),
        .. QueryApi.Define("QuerySftpBackupStorage", "/backup-storage/sftp", "sftpBackupStorage", BackupStorageInventory.SftpClass,
            (db, rows, ct) => Task.FromResult(rows), "Query SFTP backup storages (adds hostname, username, sshPort)"),
    ];
}
