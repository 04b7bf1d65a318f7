using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Config;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.GlobalConfigs;
using Stowage.Server.Features.Images;

namespace Stowage.Server.Storage;

/// <summary>
/// The durable garbage-collection queue of stored bits (ZStack's GC jobs): a copy whose files could not be removed
/// when it was deleted (host down, Disconnected, permission denied, read-only filesystem, a folder that will not go)
/// loses its record at once and leaves a <c>storage_gc_jobs</c> row. Each row is retried when its backup storage
/// becomes Connected and every <c>backupStorage/gc.interval</c> seconds, until the folder is gone; then the row goes,
/// capacity is re-measured and the image metadata file rewritten. Only the owner of a backup storage acts on it. It
/// speaks only the generic driver interfaces (<see cref="IImageStore.DeleteImageAsync"/>), so any storage type works.
/// </summary>
public sealed partial class StorageGc(
    StowageDbContextFactory dbFactory,
    BackupStorageConnector connector,
    BackupStorageCapacity capacity,
    IBackupStorageOwnership ownership,
    GlobalConfigStore configs,
    BackupStorageEvents events,
    IServiceProvider services,
    TimeProvider clock,
    ILogger<StorageGc> logger) : BackgroundService
{
    public static readonly GlobalConfigDefinition Interval = new(
        "backupStorage", "gc.interval", "Seconds between two retries of the removals still pending on Connected backup storages (a backup storage that becomes Connected is retried at once)",
        "300", GlobalConfigType.Long, NumberGreaterThan: 1);

    private readonly Channel<string> _connected = Channel.CreateUnbounded<string>();

    /// <summary>A backup storage just became Connected: its pending removals are retried now.</summary>
    public void Connected(string backupStorageUuid) => _connected.Writer.TryWrite(backupStorageUuid);

    /// <summary>
    /// Removes the copy's folder now, or records the removal for later; answers true when the bits are gone now.
    /// Either way the caller drops the copy's record: what is left is this queue's.
    /// </summary>
    public async Task<bool> RemoveOrQueueAsync(string resourceType, string resourceUuid, string bsUuid, string installPath, BackupStorageTarget? knownTarget, CancellationToken ct)
    {
        var failure = await TryRemoveAsync(bsUuid, installPath, knownTarget, ct);
        if (failure is null)
        {
            return true;
        }

        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = dbFactory.CreateDbContext();
        if (!await db.BackupStorages.AnyAsync(b => b.Uuid == bsUuid, CancellationToken.None))
        {
            return false;
        }

        if (!await db.StorageGcJobs.AnyAsync(j => j.BackupStorageUuid == bsUuid && j.InstallPath == installPath, CancellationToken.None))
        {
            db.StorageGcJobs.Add(new StorageGcJobEntity
            {
                BackupStorageUuid = bsUuid, InstallPath = installPath, ResourceUuid = resourceUuid, ResourceType = resourceType,
                Reason = failure, Attempts = 1, CreateDate = now, LastAttemptDate = now,
            });
            await db.SaveChangesAsync(CancellationToken.None);
        }

        LogQueued(logger, resourceType, resourceUuid, bsUuid, failure);
        return false;
    }

    /// <summary>Retries the pending removals of one backup storage this server owns; answers how many finished.</summary>
    public async Task<int> RunAsync(string bsUuid, bool onlyWhenConnected, CancellationToken ct)
    {
        if (!ownership.Owns(bsUuid))
        {
            return 0;
        }

        List<StorageGcJobEntity> due;
        BackupStorageEntity? bs;
        await using (var db = dbFactory.CreateDbContext())
        {
            bs = await db.BackupStorages.AsNoTracking().FirstOrDefaultAsync(b => b.Uuid == bsUuid, ct);
            due = await db.StorageGcJobs.AsNoTracking().Where(j => j.BackupStorageUuid == bsUuid).OrderBy(j => j.Id).Take(500).ToListAsync(ct);
        }

        if (bs is null || due.Count == 0 || onlyWhenConnected && bs.Status != BackupStorageStatus.Connected)
        {
            return 0;
        }

        var removed = new List<long>();
        foreach (var job in due)
        {
            var failure = await TryRemoveAsync(bsUuid, job.InstallPath, null, ct, refresh: false);
            if (failure is null)
            {
                removed.Add(job.Id);
                continue;
            }

            var now = clock.GetUtcNow().UtcDateTime;
            await using var db = dbFactory.CreateDbContext();
            await db.StorageGcJobs.Where(j => j.Id == job.Id).ExecuteUpdateAsync(s => s
                .SetProperty(j => j.Attempts, j => j.Attempts + 1).SetProperty(j => j.Reason, failure).SetProperty(j => j.LastAttemptDate, now), CancellationToken.None);
            if (IsHostDown(failure))
            {
                break;
            }
        }

        if (removed.Count > 0)
        {
            // Capacity and the metadata file first, the rows last: once no row is left, everything is settled.
            await RefreshAsync(bsUuid, ct);
            await using var db = dbFactory.CreateDbContext();
            await db.StorageGcJobs.Where(j => removed.Contains(j.Id)).ExecuteDeleteAsync(CancellationToken.None);
            LogCollected(logger, removed.Count, bsUuid);
        }

        return removed.Count;
    }

    /// <summary>One round over every backup storage with pending removals (those this server owns and that are Connected).</summary>
    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        List<string> storages;
        await using (var db = dbFactory.CreateDbContext())
        {
            storages = await db.StorageGcJobs.AsNoTracking().Select(j => j.BackupStorageUuid).Distinct().ToListAsync(ct);
        }

        var done = 0;
        foreach (var bs in storages)
        {
            done += await RunAsync(bs, onlyWhenConnected: true, ct);
        }

        return done;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            events.BecameConnected += Connected;
            await ownership.WaitReadyAsync(stoppingToken);
            var next = clock.GetUtcNow();
            while (!stoppingToken.IsCancellationRequested)
            {
                var wait = next - clock.GetUtcNow();
                using var timer = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timer.CancelAfter(wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
                string? connectedBs = null;
                try
                {
                    connectedBs = await _connected.Reader.ReadAsync(timer.Token);
                }
                catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
                {
                }

                try
                {
                    if (connectedBs is not null)
                    {
                        // The status change is announced just before it is saved: wait (bounded) to see it saved, so the
                        // capacity and metadata refresh that follow a removal find the backup storage Connected.
                        await WaitConnectedAsync(connectedBs, stoppingToken);
                        await RunAsync(connectedBs, onlyWhenConnected: false, stoppingToken);
                    }
                    else
                    {
                        await RunOnceAsync(stoppingToken);
                        next = clock.GetUtcNow().AddSeconds(configs.GetLong(Interval));
                    }
                }
                catch (Exception e) when (e is not OperationCanceledException)
                {
                    LogFailed(logger, e);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            events.BecameConnected -= Connected;
        }
    }

    private async Task WaitConnectedAsync(string bsUuid, CancellationToken ct)
    {
        for (var i = 0; i < 40; i++)
        {
            await using (var db = dbFactory.CreateDbContext())
            {
                if (await db.BackupStorages.AnyAsync(b => b.Uuid == bsUuid && b.Status == BackupStorageStatus.Connected, ct))
                {
                    return;
                }
            }

            await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
        }
    }

    /// <summary>Null when the folder is gone (or the backup storage is); the storage's reason otherwise.</summary>
    private async Task<string?> TryRemoveAsync(string bsUuid, string installPath, BackupStorageTarget? knownTarget, CancellationToken ct, bool refresh = true)
    {
        await using var db = dbFactory.CreateDbContext();
        var bs = await db.BackupStorages.AsNoTracking().FirstOrDefaultAsync(b => b.Uuid == bsUuid, ct);
        if (bs is null || installPath.Length == 0)
        {
            return null;
        }

        var target = knownTarget ?? await connector.LoadTargetAsync(db, bs, ct);
        var driver = connector.Drivers.Get(bs.Type);
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(TimeSpan.FromMinutes(2));
            await driver.DeleteImageAsync(target, installPath, limit.Token);
            if (refresh)
            {
                await capacity.RefreshAsync(driver, target, ct);
            }

            return null;
        }
        catch (StorageException e)
        {
            return (e.Retryable ? HostDownPrefix : string.Empty) + e.Message;
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return HostDownPrefix + $"backup storage[uuid:{bsUuid}] did not answer within 2 minutes";
        }
    }

    private const string HostDownPrefix = "unreachable: ";

    private static bool IsHostDown(string failure) => failure.StartsWith(HostDownPrefix, StringComparison.Ordinal);

    private async Task RefreshAsync(string bsUuid, CancellationToken ct)
    {
        await using var db = dbFactory.CreateDbContext();
        var bs = await db.BackupStorages.AsNoTracking().FirstOrDefaultAsync(b => b.Uuid == bsUuid, ct);
        if (bs is null)
        {
            return;
        }

        try
        {
            await capacity.RefreshAsync(connector.Drivers.Get(bs.Type), await connector.LoadTargetAsync(db, bs, ct), ct);
        }
        catch (StorageException e)
        {
            LogFailed(logger, e);
        }

        await services.GetRequiredService<ImageMetadataFile>().RefreshAsync([bsUuid], ct);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "the files of {Type} {Resource} on backup storage {Bs} could not be removed; the removal is queued and retried: {Reason}")]
    private static partial void LogQueued(ILogger logger, string type, string resource, string bs, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "removed {Count} pending deletions on backup storage {Bs}")]
    private static partial void LogCollected(ILogger logger, int count, string bs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "a round of pending removals failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
