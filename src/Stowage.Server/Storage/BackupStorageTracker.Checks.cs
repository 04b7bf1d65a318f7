using Microsoft.EntityFrameworkCore;
using Stowage.Core.Config;
using Stowage.Core.Storage;
using Stowage.Persistence;

namespace Stowage.Server.Storage;

/// <summary>
/// The two checks: a ping of a Connected backup storage (capacity refreshed; a failure makes it
/// Disconnected with the reason) and a reconnect of one that is not (boot, auto-reconnect, takeover),
/// each bounded by <c>ping.timeout</c> (a reconnect by three times that).
/// </summary>
public sealed partial class BackupStorageTracker
{
    private async Task PingAsync(StowageDbContext db, Persistence.Entities.BackupStorageEntity bs, IStorageTypeRow? row, IBackupStorageDriver driver, TimeSpan timeout, CancellationToken ct)
    {
        using var timer = new CancellationTokenSource(timeout, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
        stats.Enter();
        var started = clock.GetTimestamp();
        string? failure = null;
        StorageFailure? kind = null;
        try
        {
            var capacity = await driver.PingAsync(connector.BuildTarget(bs, row), linked.Token);
            var available = await BackupStorageCapacity.AvailableAsync(db, bs.Uuid, capacity.Available, ct);
            if (capacity.Total != bs.TotalCapacity || available != bs.AvailableCapacity)
            {
                // A plain update, not the tracked row: image adds change the row (and its version) all the time,
                // and a ping's numbers are no reason for a concurrency conflict.
                await db.BackupStorages.Where(b => b.Uuid == bs.Uuid).ExecuteUpdateAsync(s => s
                    .SetProperty(b => b.TotalCapacity, capacity.Total).SetProperty(b => b.AvailableCapacity, available), ct);
                bs.TotalCapacity = capacity.Total;
                bs.AvailableCapacity = available;
                db.Entry(bs).State = EntityState.Unchanged;
            }
        }
        catch (StorageException e)
        {
            (failure, kind) = (e.Message, e.Failure);
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            (failure, kind) = ($"ping timed out after {timeout.TotalSeconds:0} s", StorageFailure.Timeout);
        }
        finally
        {
            stats.Exit();
            metrics.PingSeconds.WithLabels(bs.Uuid).Observe(clock.GetElapsedTime(started).TotalSeconds);
        }

        stats.History.Record(bs.Uuid, new PingSample(clock.GetUtcNow(), bs.TotalCapacity, bs.AvailableCapacity,
            failure is null ? Math.Round(clock.GetElapsedTime(started).TotalMilliseconds, 1) : null, failure is null));
        if (failure is null)
        {
            await capacityAlerts.CheckAsync(bs, ct);
        }
        else
        {
            stats.Failed();
            metrics.PingFailures.WithLabels(bs.Uuid).Inc();
            driver.Forget(bs.Uuid);
            _failures[bs.Uuid] = (0, kind);
            bs.LastError = failure;
            connector.SetStatus(db, bs, BackupStorageStatus.Disconnected, failure);
            events.Disconnected(db, bs.Uuid, failure);
            await VerdictSave.SaveOverConcurrentWritesAsync(db);
        }
    }

    private async Task ReconnectAsync(StowageDbContext db, Persistence.Entities.BackupStorageEntity bs, IStorageTypeRow? row, TimeSpan timeout, CancellationToken ct)
    {
        var state = _failures.GetValueOrDefault(bs.Uuid);
        var booting = bs.Status == BackupStorageStatus.Connecting;
        if (!booting)
        {
            // A changed host key or identity needs an admin's decision; retrying would only hide it.
            var max = configs.GetInt(CoreGlobalConfigs.AutoReconnectMaxAttempts);
            if (!configs.GetBool(CoreGlobalConfigs.AutoReconnect) || state.Last is StorageFailure.HostKeyMismatch or StorageFailure.IdentityMismatch
                || (max > 0 && state.Attempts >= max))
            {
                return;
            }
        }

        using var timer = new CancellationTokenSource(timeout * 3, clock);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct, timer.Token);
        try
        {
            await connector.ConnectAsync(db, bs, row, connector.BuildTarget(bs, row), ConnectMode.Background, linked.Token);
            await db.SaveChangesAsync(ct);
            _failures.TryRemove(bs.Uuid, out _);
            stats.Reconnected();
            stats.History.Record(bs.Uuid, new PingSample(clock.GetUtcNow(), bs.TotalCapacity, bs.AvailableCapacity, null, true));
            await capacityAlerts.CheckAsync(bs, ct);
        }
        catch (StorageException e)
        {
            _failures[bs.Uuid] = (state.Attempts + 1, e.Failure);
            stats.Failed();
            stats.History.Record(bs.Uuid, new PingSample(clock.GetUtcNow(), bs.TotalCapacity, bs.AvailableCapacity, null, false));
        }
        catch (OperationCanceledException) when (timer.IsCancellationRequested && !ct.IsCancellationRequested)
        {
            connector.Drivers.Get(bs.Type).Forget(bs.Uuid);
            bs.LastError = $"connect timed out after {(timeout * 3).TotalSeconds:0} s";
            connector.SetStatus(db, bs, BackupStorageStatus.Disconnected, bs.LastError);
            await VerdictSave.SaveOverConcurrentWritesAsync(db);
            _failures[bs.Uuid] = (state.Attempts + 1, StorageFailure.Timeout);
        }
    }
}
