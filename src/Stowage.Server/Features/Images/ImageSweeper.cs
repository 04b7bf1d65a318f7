using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Config;
using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Server.Features.GlobalConfigs;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Images;

/// <summary>
/// Sweeps every owned, Connected backup storage once after it connects (at start, after an add) and then
/// every <c>image/sweep.interval</c> seconds: temporary files of downloads that no longer run are deleted
/// at once (they can never become an image), the image metadata file is rewritten, and unreferenced complete
/// files are left for the admin, who sees them with GetTrashOnBackupStorage and removes them with
/// CleanUpTrashOnBackupStorage (a file that lost its database row may still be wanted, e.g. for an import).
/// Sweeps and cleanups of one backup storage never overlap.
/// </summary>
public sealed partial class ImageSweeper(
    StowageDbContextFactory dbFactory,
    ImageTrash trash,
    ImageMetadataFile metadata,
    BackupStorageCapacity capacity,
    BackupStorageConnector connector,
    KeyedLocks locks,
    GlobalConfigStore configs,
    IBackupStorageOwnership ownership,
    TimeProvider clock,
    ILogger<ImageSweeper> logger) : BackgroundService
{
    public static readonly GlobalConfigDefinition SweepInterval = new(
        "image", "sweep.interval", "Seconds between two sweeps of a backup storage (stale temporary files removed, metadata file rewritten, orphans listed as trash); each is also swept once after it connects",
        "3600", GlobalConfigType.Long, NumberGreaterThan: 1);

    /// <summary>How often the sweeper looks for backup storages that connected and were not swept yet.</summary>
    private static readonly TimeSpan MaxTick = TimeSpan.FromSeconds(15);

    private readonly ConcurrentDictionary<string, DateTimeOffset> _swept = new(StringComparer.Ordinal);
    private CancellationTokenSource _wake = new();

    private static string Key(string uuid) => "bs-trash-" + uuid;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        configs.Changed += OnConfigChanged;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await WaitAsync(stoppingToken);
                await RoundAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            configs.Changed -= OnConfigChanged;
        }
    }

    /// <summary>Sweeps the owned Connected backup storages that are due, one at a time (sweeping is background work).</summary>
    public async Task RoundAsync(CancellationToken ct)
    {
        var interval = TimeSpan.FromSeconds(configs.GetLong(SweepInterval));
        List<string> connected;
        await using (var db = dbFactory.CreateDbContext())
        {
            connected = await db.BackupStorages.AsNoTracking().Where(b => b.Status == BackupStorageStatus.Connected).OrderBy(b => b.Uuid).Select(b => b.Uuid).ToListAsync(ct);
        }

        foreach (var gone in _swept.Keys.Except(connected))
        {
            // Swept again once it is back: a reconnect may follow a wipe or a restore of the directory.
            _swept.TryRemove(gone, out _);
        }

        foreach (var uuid in connected.Where(ownership.Owns))
        {
            if (_swept.TryGetValue(uuid, out var last) && clock.GetUtcNow() - last < interval)
            {
                continue;
            }

            _swept[uuid] = clock.GetUtcNow();
            try
            {
                await SweepAsync(uuid, ct);
            }
            catch (Exception e) when (e is StorageException or ApiException)
            {
                LogSweepFailed(logger, uuid, e.Message);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // One backup storage that cannot be swept must not stop the sweeper (or the server) for the others.
                LogSweepCrashed(logger, e, uuid);
            }
        }
    }

    /// <summary>Removes the stale temporary files of one backup storage and rewrites its metadata file.</summary>
    public async Task SweepAsync(string uuid, CancellationToken ct)
    {
        var (results, _) = await CleanAsync(uuid, i => i.TrashType == ImageTrash.StaleDownload && i.ReferencedBy is null, null, ct);
        foreach (var r in results.Where(r => r.Success))
        {
            LogStaleRemoved(logger, uuid, r.TrashId, r.Size);
        }

        await metadata.RefreshAsync([uuid], ct);
    }

    /// <summary>
    /// Deletes the chosen units of a fresh scan, each checked again against the database just before, and
    /// re-measures the capacity. A <paramref name="trashId"/> that matches nothing is a success of size 0
    /// (ZStack); a unit still referenced gets a failed result; the first deletion failure is returned.
    /// </summary>
    public async Task<(List<TrashCleanupResult> Results, ErrorCode? Failure)> CleanAsync(string uuid, Func<TrashItem, bool> chosen, long? trashId, CancellationToken ct)
    {
        using var held = await locks.AcquireAsync(Key(uuid), ct);
        var scan = await trash.ScanAsync(uuid, ct);
        var items = scan.Items.Where(chosen).ToList();
        var results = new List<TrashCleanupResult>();
        ErrorCode? failure = null;
        if (items.Count == 0 && trashId is { } id)
        {
            results.Add(new TrashCleanupResult(null, true, null, id, 0));
        }

        foreach (var item in items)
        {
            var by = item.ReferencedBy ?? await trash.ReferencedByAsync(scan.Bs, item, ct);
            if (by is not null)
            {
                results.Add(new TrashCleanupResult(item.ResourceUuid, false,
                    Errors.Operr($"the path {scan.Bs.Url.TrimEnd('/')}/{item.RelativePath} is still referenced by image[uuid:{by}]; it is not trash"), item.TrashId, 0));
                continue;
            }

            try
            {
                await scan.Housekeeping.DeletePathAsync(scan.Target, item.RelativePath, ct);
                results.Add(new TrashCleanupResult(item.ResourceUuid, true, null, item.TrashId, item.Size));
            }
            catch (StorageException e)
            {
                var error = Errors.Operr(e.Message);
                failure ??= error;
                results.Add(new TrashCleanupResult(item.ResourceUuid, false, error, item.TrashId, 0));
            }
        }

        if (results.Any(r => r.Success && r.Size > 0))
        {
            await capacity.RefreshAsync(connector.Drivers.Get(scan.Bs.Type), scan.Target, ct);
        }

        return (results, failure);
    }

    private void OnConfigChanged(GlobalConfigChanged change)
    {
        if (change.Definition == SweepInterval)
        {
            _swept.Clear();
            Interlocked.Exchange(ref _wake, new CancellationTokenSource()).Cancel();
        }
    }

    private async Task WaitAsync(CancellationToken stoppingToken)
    {
        var interval = TimeSpan.FromSeconds(configs.GetLong(SweepInterval));
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, Volatile.Read(ref _wake).Token);
        try
        {
            await Task.Delay(interval < MaxTick ? interval : MaxTick, clock, linked.Token);
        }
        catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
        {
            // A new interval applies from now.
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "sweeping backup storage {Uuid} failed unexpectedly")]
    private static partial void LogSweepCrashed(ILogger logger, Exception exception, string uuid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "sweeping backup storage {Bs} failed (tried again after image/sweep.interval or a reconnect): {Reason}")]
    private static partial void LogSweepFailed(ILogger logger, string bs, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "backup storage {Bs}: removed a stale temporary download file (trash {TrashId}, {Size} bytes)")]
    private static partial void LogStaleRemoved(ILogger logger, string bs, long trashId, long size);
}
