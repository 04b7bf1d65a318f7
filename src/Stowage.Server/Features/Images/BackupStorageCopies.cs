using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Server.Features.Export;
using Stowage.Server.Features.GlobalConfigs;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Images;

/// <summary>
/// The data path of a copy from one backup storage to another (<see cref="CopyJob.FromBackupStorage"/>):
/// the destination host pulls the file from the source host over SFTP with the source's read-only
/// direct-fetch key, and when it cannot reach the source host Stowage reads the file (the export read path)
/// and streams it to the destination. Either way the destination verifies the source copy's recorded size
/// and digests before the file takes its place. Two backup storages in one object store copy inside the store
/// (<see cref="IServerSideCopy"/>, see BackupStorageCopies.WithinStore.cs). <c>image/copy.mode</c> can force one path
/// (<c>Stream</c> streams through Stowage even within one store).
/// </summary>
public sealed partial class BackupStorageCopies(
    StowageDbContextFactory dbFactory,
    BackupStorageConnector connector,
    DirectFetchKeys keys,
    KeyedLocks locks,
    GlobalConfigStore configs,
    TransferRegistry transfers,
    Monitoring.StowageMetrics metrics,
    IServiceProvider services,
    ILogger<BackupStorageCopies> logger)
{
    public const string Auto = "Auto";
    public const string HostToHost = "HostToHost";
    public const string Stream = "Stream";

    public async Task<ImageFileFacts> CopyAsync(
        IBackupStorageDriver driver, BackupStorageTarget target, CopyJob job, StoredSource from, IProgress<TransferProgress> progress, CancellationToken ct)
    {
        await using var db = dbFactory.CreateDbContext();
        var bs = await db.BackupStorages.AsNoTracking().FirstOrDefaultAsync(b => b.Uuid == from.BsUuid, ct)
            ?? throw new StorageException(StorageFailure.SourceFailed, $"the source backup storage[uuid:{from.BsUuid}] was deleted");
        var source = new StoredCopy(await connector.LoadTargetAsync(db, bs, ct), from.InstallPath, job.Expect);
        var sourceDriver = connector.Drivers.Get(bs.Type);
        var mode = configs.Get(ImageConfigs.CopyMode);
        if (mode != Stream && driver is IServerSideCopy within && driver.Capabilities.ServerSideCopy
            && sourceDriver.Type == driver.Type && within.SameStore(source.Storage, target))
        {
            try
            {
                return await WithinStoreAsync(within, target, job, source, progress, ct);
            }
            catch (StorageException e) when (e.Failure == StorageFailure.SourceUnreachable)
            {
                LogStreaming(logger, job.ImageUuid, from.BsUuid, job.BsUuid, e.Message);
            }
        }

        if (mode != Stream)
        {
            try
            {
                // The destination pulls with the source's read-only key: both types must say they can.
                if (!driver.Capabilities.HostToHostCopy || !sourceDriver.Capabilities.DirectFetchKeys || sourceDriver.Type != driver.Type)
                {
                    throw new StorageException(StorageFailure.SourceUnreachable, $"a {driver.Type} host cannot pull from a {bs.Type}");
                }

                string readKey;
                using (await locks.AcquireAsync(BackupStorageConnector.LockKey(bs.Uuid), ct))
                {
                    // Installs the key again when it is already there: a host whose authorized_keys was reset heals here.
                    (_, readKey) = await keys.EnsureAsync(db, bs, source.Storage, ct);
                }

                return await driver.CopyFromStorageHostAsync(target, source, readKey, job.InstallPath, progress, ct);
            }
            catch (StorageException e) when (e.Failure == StorageFailure.SourceUnreachable && mode == Auto)
            {
                LogStreaming(logger, job.ImageUuid, from.BsUuid, job.BsUuid, e.Message);
            }
            catch (ApiException e) when (mode == Auto)
            {
                LogStreaming(logger, job.ImageUuid, from.BsUuid, job.BsUuid, e.Error.Details ?? e.Message);
            }
        }

        if (sourceDriver is not IImageReader reader)
        {
            throw new StorageException(StorageFailure.SourceFailed, $"backup storage type {bs.Type} cannot be read by Stowage");
        }

        await using var stream = await reader.OpenReadAsync(source.Storage, from.InstallPath, 0, ct);
        return await driver.WriteFromStreamAsync(target, stream, job.InstallPath, job.Expect, progress, ct);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "image {Image}: the host of backup storage {Destination} cannot pull from backup storage {Source} ({Reason}); Stowage streams it")]
    private static partial void LogStreaming(ILogger logger, string image, string source, string destination, string reason);
}
