using Microsoft.EntityFrameworkCore;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.BackupStorage;

/// <summary>
/// ReconnectBackupStorage and ReconnectSftpBackupStorage: both go through the per-BS lock and the
/// Connecting phase (ZStack's SFTP variant skips both; we do not copy that).
/// </summary>
public static class ReconnectBackupStorage
{
    public static ApiDescriptor Generic { get; } = Define("ReconnectBackupStorage", "/backup-storage/{uuid}/actions", "reconnectBackupStorage", BackupStorageErrors.Connect, BackupStorageInventory.BaseClass);

    public static ApiDescriptor Sftp { get; } = Define("ReconnectSftpBackupStorage", "/backup-storage/sftp/{uuid}/actions", "reconnectSftpBackupStorage", BackupStorageErrors.SftpReconnect, BackupStorageInventory.SftpClass);

    private static ApiDescriptor Define(string name, string path, string key, string errorCode, string resultClass) => new()
    {
        Name = name,
        Method = "PUT",
        Path = path,
        BodyKey = key,
        ResultClass = resultClass,
        Description = "Reconnect a backup storage: Connecting, then Connected with refreshed capacity, or Disconnected with the reason",
        Params = [SftpRules.BsUuid()],
        SerialKey = a => BackupStorageConnector.LockKey(a.String("uuid") ?? string.Empty),
        Handler = ctx => HandleAsync(ctx, errorCode),
    };

    private static async Task<ApiReply> HandleAsync(ApiContext ctx, string errorCode)
    {
        var ct = ctx.CancellationToken;
        var uuid = ctx.Args.RequiredString("uuid");
        var connector = ctx.Get<BackupStorageConnector>();
        using var held = await ctx.Get<KeyedLocks>().AcquireAsync(BackupStorageConnector.LockKey(uuid), ct);
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        var bs = await SimpleBackupStorageApis.FindAsync(db, uuid, ct);
        var sftp = await db.SftpBackupStorages.FirstOrDefaultAsync(s => s.Uuid == uuid, ct);
        try
        {
            await connector.ConnectAsync(db, bs, sftp, connector.BuildTarget(bs, sftp), ConnectMode.Reconnect, ct);
            await db.SaveChangesAsync(ct);
        }
        catch (StorageException e)
        {
            throw BackupStorageConnector.Failure(errorCode, $"unable to reconnect backup storage[uuid:{uuid}]", e);
        }

        return (await BackupStorageInventory.LoadOneAsync(db, uuid, ct)).Reply();
    }
}
