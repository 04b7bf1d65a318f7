using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.BackupStorage;

/// <summary>
/// ReconnectBackupStorage and each type's Reconnect&lt;Type&gt;BackupStorage (<see cref="Define"/>): all go through the per-BS lock and the
/// Connecting phase (ZStack's SFTP variant skips both; we do not copy that). A reconnect is a new connection:
/// the pooled one is closed first, so the host key, the identity marker and capacity are all checked afresh
/// (a host re-keyed under a live session is noticed); transfers running over the old connection fail and clean up.
/// </summary>
public static class ReconnectBackupStorage
{
    public static ApiDescriptor Generic { get; } = Define("ReconnectBackupStorage", "/backup-storage/{uuid}/actions", "reconnectBackupStorage", BackupStorageErrors.Connect, BackupStorageInventory.BaseClass);

    public static ApiDescriptor Define(string name, string path, string key, string errorCode, string resultClass) => new()
    {
        Name = name,
        Method = "PUT",
        Path = path,
        BodyKey = key,
        ResultClass = resultClass,
        Description = "Reconnect a backup storage: Connecting, then Connected with refreshed capacity, or Disconnected with the reason",
        Params = [BackupStorageParams.BsUuid()],
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
        var row = await connector.FindRowAsync(db, bs, tracked: true, ct);
        connector.Drivers.Get(bs.Type).Forget(uuid);
        try
        {
            await connector.ConnectAsync(db, bs, row, connector.BuildTarget(bs, row), ConnectMode.Reconnect, ct);
            await db.SaveChangesAsync(ct);
        }
        catch (StorageException e)
        {
            throw BackupStorageConnector.Failure(errorCode, $"unable to reconnect backup storage[uuid:{uuid}]", e);
        }

        return (await BackupStorageInventory.LoadOneAsync(ctx, db, uuid)).Reply();
    }
}
