using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.Common;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.BackupStorage.FileSystem;

/// <summary>
/// Changes name and description of a FileSystem backup storage, and with <c>adoptDirectory=true</c> takes over
/// its directory again when the identity marker was lost (a directory restored from a copy, a marker deleted by
/// hand): a connect that writes the marker, tried first; only if it succeeds is anything saved. The url itself
/// does not change (install paths of its images are under it).
/// </summary>
public static class UpdateFileSystemBackupStorage
{
    public static ApiDescriptor Api { get; } = new()
    {
        Name = "UpdateFileSystemBackupStorage",
        Method = "PUT",
        Path = FileSystemStorageType.ApiPath + "/{uuid}/actions",
        BodyKey = "updateFileSystemBackupStorage",
        ResultClass = FileSystemStorageType.InventoryClassName,
        Description = "Change a FileSystem backup storage's name or description; adoptDirectory=true takes over its directory when the identity marker is missing (not when another backup storage's marker is there)",
        Params =
        [
            BackupStorageParams.BsUuid(),
            new("name") { MaxLength = 255, EmptyString = false, Description = "new name" },
            new("description") { MaxLength = 2048, Description = "new description" },
            new("adoptDirectory", ParamType.Bool) { Description = "write this backup storage's identity marker into its directory again (it was lost) and reconnect" },
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
        using var held = await ctx.Get<KeyedLocks>().AcquireAsync(BackupStorageConnector.LockKey(uuid), ct);
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        var bs = await SimpleBackupStorageApis.FindAsync(db, uuid, ct);
        if (bs.Type != FileSystemStorageType.TypeName)
        {
            throw ApiException.Argument($"backup storage[uuid:{uuid}] is not a FileSystem backup storage");
        }

        if (a.Bool("adoptDirectory") == true)
        {
            var probe = new BackupStorageEntity { Uuid = uuid, Name = bs.Name, Url = bs.Url, Type = bs.Type, State = bs.State, Status = BackupStorageStatus.Connecting };
            await using (var scratch = ctx.Get<StowageDbContextFactory>().CreateDbContext())
            {
                try
                {
                    await connector.ConnectAsync(scratch, probe, EmptyStorageTypeRow.Instance, connector.BuildTarget(probe, EmptyStorageTypeRow.Instance), ConnectMode.Adopt, ct);
                }
                catch (StorageException e)
                {
                    throw BackupStorageConnector.Failure(Errors.Operation, $"cannot adopt the directory of backup storage[uuid:{uuid}]; nothing was changed", e);
                }
            }

            bs.TotalCapacity = probe.TotalCapacity;
            bs.AvailableCapacity = probe.AvailableCapacity;
            bs.LastError = null;
            connector.SetStatus(db, bs, BackupStorageStatus.Connected, "directory adopted");
        }

        SimpleBackupStorageApis.ApplyNameAndDescription(a, bs, ctx.Get<TimeProvider>());
        await ResourceIndex.SaveAsync(db, ct);
        return (await BackupStorageInventory.LoadOneAsync(ctx, db, uuid)).Reply();
    }
}
