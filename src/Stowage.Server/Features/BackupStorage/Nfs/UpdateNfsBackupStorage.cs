using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.Common;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.BackupStorage.Nfs;

/// <summary>
/// Changes name/description and how Stowage reaches an NFS backup storage (ports, uid, gid). Changed
/// connection settings are tried first with a connect that must find this backup storage's marker; only if
/// it succeeds is anything saved, so a failed update leaves the backup storage exactly as it was. The url
/// itself does not change (it is where the images are).
/// </summary>
public static class UpdateNfsBackupStorage
{
    public static ApiDescriptor Api { get; } = new()
    {
        Name = "UpdateNfsBackupStorage",
        Method = "PUT",
        Path = NfsStorageType.ApiPath + "/{uuid}/actions",
        BodyKey = "updateNfsBackupStorage",
        ResultClass = NfsStorageType.InventoryClassName,
        Description = "Change an NFS backup storage; changed ports, uid or gid are verified by a reconnect and nothing is saved if it fails",
        Params =
        [
            BackupStorageParams.BsUuid(),
            new("name") { MaxLength = 255, EmptyString = false, Description = "new name" },
            new("description") { MaxLength = 2048, Description = "new description" },
            NfsRules.NfsPort,
            NfsRules.MountPort,
            NfsRules.Uid,
            NfsRules.Gid,
        ],
        SerialKey = a => BackupStorageConnector.LockKey(a.String("uuid") ?? string.Empty),
        Handler = HandleAsync,
    };

    private static async Task<ApiReply> HandleAsync(ApiContext ctx)
    {
        var a = ctx.Args;
        var ct = ctx.CancellationToken;
        var uuid = a.RequiredString("uuid");
        var connector = ctx.Get<BackupStorageConnector>();
        var clock = ctx.Get<TimeProvider>();
        using var held = await ctx.Get<KeyedLocks>().AcquireAsync(BackupStorageConnector.LockKey(uuid), ct);
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        var bs = await SimpleBackupStorageApis.FindAsync(db, uuid, ct);
        var nfs = await db.NfsBackupStorages.FirstOrDefaultAsync(s => s.Uuid == uuid, ct)
            ?? throw ApiException.Argument($"backup storage[uuid:{uuid}] is not an NFS backup storage");

        var nfsPort = a.Has("nfsPort") ? a.Int("nfsPort") : nfs.NfsPort;
        var mountPort = a.Has("mountPort") ? a.Int("mountPort") : nfs.MountPort;
        var uid = a.Int("uid") ?? nfs.Uid;
        var gid = a.Int("gid") ?? nfs.Gid;
        // The stored url is canonical (server:/path); only the ports may change, and they must still parse with it.
        _ = NfsRules.Parse(bs.Url, nfsPort, mountPort);
        var changed = nfsPort != nfs.NfsPort || mountPort != nfs.MountPort || uid != nfs.Uid || gid != nfs.Gid;

        if (changed)
        {
            var candidate = new NfsBackupStorageEntity
            {
                Uuid = uuid, Server = nfs.Server, ExportPath = nfs.ExportPath, NfsPort = nfsPort, MountPort = mountPort, Uid = uid, Gid = gid,
                LastOpDate = nfs.LastOpDate,
            };
            var probe = new BackupStorageEntity
            {
                Uuid = uuid, Name = bs.Name, Url = bs.Url, Type = bs.Type, State = bs.State, Status = BackupStorageStatus.Connecting,
            };
            await using (var scratch = ctx.Get<StowageDbContextFactory>().CreateDbContext())
            {
                try
                {
                    // The probe runs on detached copies: nothing of it is saved unless it succeeds.
                    var candidateRow = new NfsTypeRow(candidate);
                    await connector.ConnectAsync(scratch, probe, candidateRow, connector.BuildTarget(probe, candidateRow, null), ConnectMode.Adopt, ct);
                }
                catch (StorageException e)
                {
                    connector.Drivers.Get(bs.Type).Forget(uuid);
                    throw BackupStorageConnector.Failure(Errors.Operation, $"the new connection settings of backup storage[uuid:{uuid}] do not work; nothing was changed", e);
                }
            }

            nfs.NfsPort = nfsPort;
            nfs.MountPort = mountPort;
            nfs.Uid = uid;
            nfs.Gid = gid;
            nfs.LastOpDate = clock.GetUtcNow().UtcDateTime;
            bs.TotalCapacity = probe.TotalCapacity;
            bs.AvailableCapacity = probe.AvailableCapacity;
            bs.LastError = null;
            connector.SetStatus(db, bs, BackupStorageStatus.Connected, "connection settings updated");
            connector.Drivers.Get(bs.Type).Forget(uuid);
        }

        SimpleBackupStorageApis.ApplyNameAndDescription(a, bs, clock);
        await ResourceIndex.SaveAsync(db, ct);
        return (await BackupStorageInventory.LoadOneAsync(ctx, db, uuid)).Reply();
    }
}
