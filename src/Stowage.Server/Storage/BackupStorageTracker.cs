using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Config;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Server.Features.GlobalConfigs;

namespace Stowage.Server.Storage;

/// <summary>
/// Keeps every owned backup storage's status true: connects all of them at boot (without holding up the
/// API), then pings the Connected ones and reconnects the Disconnected ones on a fixed schedule.
/// <list type="bullet">
/// <item>Rounds start on a grid of <c>ping.interval</c> from the end of the boot round, not a full
/// interval after the previous round ended, so a slow round never pushes the next one late. A changed
/// interval starts a new grid from the moment of the change.</item>
/// <item>A round does not wait for the previous one: a backup storage still waiting for a slot or being
/// checked for an earlier round (or busy with another operation) is skipped for the round, never queued
/// or checked twice, so an overloaded tracker keeps a backlog of at most one check per backup storage.</item>
/// <item>At most <c>ping.parallelismDegree</c> checks run at once over all rounds (live: a change applies
/// to checks not yet started); each ping is bounded by <c>ping.timeout</c>, each reconnect by three
/// times that, so one hung host holds one slot for a bounded time and delays no one else.</item>
/// </list>
/// Detection of a dead host therefore takes at most <c>ping.interval</c> + <c>ping.timeout</c> (plus the
/// time a ping waits for a slot when more checks are due than the parallelism admits).
/// </summary>
public sealed partial class BackupStorageTracker(
    StowageDbContextFactory dbFactory,
    BackupStorageConnector connector,
    BackupStorageEvents events,
    KeyedLocks locks,
    GlobalConfigStore configs,
    IBackupStorageOwnership ownership,
    PingStats stats,
    Monitoring.StowageMetrics metrics,
    Monitoring.CapacityAlerts capacityAlerts,
    TimeProvider clock,
    ILogger<BackupStorageTracker> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<string, (int Attempts, StorageFailure? Last)> _failures = new(StringComparer.Ordinal);
    private readonly BackupStorageTrackerSlots _slots = new();
    private readonly ConcurrentDictionary<Task, byte> _rounds = new();

    /// <summary>Backup storages a round has taken on and not finished (waiting for a slot or being checked).</summary>
    private readonly ConcurrentDictionary<string, byte> _pending = new(StringComparer.Ordinal);
    private CancellationTokenSource _wake = new();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await Task.Yield();
        configs.Changed += OnConfigChanged;
        WatchConnections(stoppingToken);
        WatchOwnership();
        try
        {
            await ownership.WaitReadyAsync(stoppingToken);
            await BootAsync(stoppingToken);
            var interval = Interval();
            var next = clock.GetUtcNow() + interval;
            while (!stoppingToken.IsCancellationRequested)
            {
                next = await WaitForTickAsync(next, interval, stoppingToken);
                StartRound(stoppingToken);

                // The next tick on the grid; ticks already past (the process was stalled) are dropped, not caught up.
                interval = Interval();
                var now = clock.GetUtcNow();
                next += interval;
                if (next <= now)
                {
                    next += interval * Math.Ceiling((now - next) / interval);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            configs.Changed -= OnConfigChanged;
            UnwatchConnections();
            UnwatchOwnership();
            try
            {
                await Task.WhenAll(_rounds.Keys);
            }
            catch (OperationCanceledException)
            {
                // Rounds stop with the service.
            }
        }
    }

    public override void Dispose()
    {
        base.Dispose();
        _slots.Dispose();
    }

    private TimeSpan Interval() => TimeSpan.FromSeconds(Math.Max(1, configs.GetInt(CoreGlobalConfigs.PingInterval)));

    private void OnConfigChanged(GlobalConfigChanged change)
    {
        if (change.Definition == CoreGlobalConfigs.PingInterval)
        {
            // A new interval applies from now rather than after the old one has run out.
            Interlocked.Exchange(ref _wake, new CancellationTokenSource()).Cancel();
        }
        else if (change.Definition == CoreGlobalConfigs.PingParallelism)
        {
            _slots.Limit = configs.GetInt(CoreGlobalConfigs.PingParallelism);
        }
    }

    /// <summary>
    /// Waits until <paramref name="tick"/> (computed with <paramref name="basis"/>); when the interval changes
    /// meanwhile, until one new interval from the change. Returns the tick reached.
    /// </summary>
    private async Task<DateTimeOffset> WaitForTickAsync(DateTimeOffset tick, TimeSpan basis, CancellationToken stoppingToken)
    {
        while (true)
        {
            // The wake token is taken before the interval is read: a change after this point cancels the wait,
            // a change before it (during a boot round or between ticks, when no wait was armed) shows here.
            var wake = Volatile.Read(ref _wake);
            var current = Interval();
            if (current != basis)
            {
                basis = current;
                tick = clock.GetUtcNow() + current;
            }

            var delay = tick - clock.GetUtcNow();
            if (delay <= TimeSpan.Zero)
            {
                return tick;
            }

            using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, wake.Token);
            try
            {
                await Task.Delay(delay, clock, linked.Token);
                return tick;
            }
            catch (OperationCanceledException) when (!stoppingToken.IsCancellationRequested)
            {
                basis = Interval();
                tick = clock.GetUtcNow() + basis;
            }
        }
    }

    /// <summary>Starts a round in the background; the schedule does not wait for it.</summary>
    private void StartRound(CancellationToken stoppingToken) => Track(Task.Run(() => RoundAsync(stoppingToken), CancellationToken.None));

    /// <summary>Keeps a background round or check observed: its failure is logged and shutdown waits for it.</summary>
    private void Track(Task round)
    {
        _rounds.TryAdd(round, 0);
        _ = round.ContinueWith(
            t =>
            {
                _rounds.TryRemove(t, out _);
                if (t.Exception is { } e)
                {
                    LogRoundFailed(logger, e.InnerException ?? e);
                }
            },
            CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
    }

    /// <summary>Every owned backup storage goes Connecting, then Connected or Disconnected.</summary>
    public async Task BootAsync(CancellationToken stoppingToken)
    {
        await using (var db = dbFactory.CreateDbContext())
        {
            var rows = await db.BackupStorages.Where(b => b.Status != BackupStorageStatus.Connecting).ToListAsync(stoppingToken);
            foreach (var bs in rows.Where(b => ownership.Owns(b.Uuid)))
            {
                connector.SetStatus(db, bs, BackupStorageStatus.Connecting, "management server started");
            }

            await db.SaveChangesAsync(stoppingToken);
        }

        await RoundAsync(stoppingToken);
    }

    /// <summary>One round over every owned backup storage; returns when all of its checks have ended.</summary>
    public async Task RoundAsync(CancellationToken stoppingToken)
    {
        var started = clock.GetUtcNow();
        var stopwatch = clock.GetTimestamp();
        List<string> uuids;
        await using (var db = dbFactory.CreateDbContext())
        {
            uuids = await db.BackupStorages.AsNoTracking().OrderBy(b => b.Uuid).Select(b => b.Uuid).ToListAsync(stoppingToken);
        }

        _slots.Limit = configs.GetInt(CoreGlobalConfigs.PingParallelism);
        var timeout = TimeSpan.FromSeconds(configs.GetInt(CoreGlobalConfigs.PingTimeout));
        // A backup storage still waiting or being checked for an earlier round is left to that round: when
        // the checks cannot keep up with the interval, the backlog stays one check per backup storage
        // instead of growing by a round every interval.
        var due = uuids.Where(u => ownership.Owns(u) && _pending.TryAdd(u, 0)).ToList();
        await Task.WhenAll(due.Select(uuid => CheckDueAsync(uuid, timeout, stoppingToken)));
        stoppingToken.ThrowIfCancellationRequested();
        stats.RoundDone(started, clock.GetElapsedTime(stopwatch), due.Count);
    }

    /// <summary>Checks a backup storage already marked pending: waits for a slot, checks, and clears the mark.</summary>
    private async Task CheckDueAsync(string uuid, TimeSpan timeout, CancellationToken stoppingToken)
    {
        try
        {
            await _slots.EnterAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            _pending.TryRemove(uuid, out _);
            return;
        }

        var fence = Volatile.Read(ref _fence).Token;
        try
        {
            using var fenced = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, fence);
            await CheckAsync(uuid, timeout, fenced.Token);
        }
        catch (Exception e) when (e is not OperationCanceledException || !(stoppingToken.IsCancellationRequested || fence.IsCancellationRequested))
        {
            LogCheckFailed(logger, e, uuid);
        }
        catch (OperationCanceledException)
        {
        }
        finally
        {
            _pending.TryRemove(uuid, out _);
            _slots.Exit();
        }
    }

    private async Task CheckAsync(string uuid, TimeSpan timeout, CancellationToken ct)
    {
        using var held = locks.TryAcquire(BackupStorageConnector.LockKey(uuid));
        if (held is null || !ownership.Owns(uuid))
        {
            // Busy, or handed to another server since it was scheduled: that server checks it now.
            return;
        }

        await using var db = dbFactory.CreateDbContext();
        var bs = await db.BackupStorages.FirstOrDefaultAsync(b => b.Uuid == uuid, ct);
        if (bs is null)
        {
            _failures.TryRemove(uuid, out _);
            return;
        }

        var row = await connector.FindRowAsync(db, bs, tracked: true, ct);
        if (!ownership.Owns(uuid))
        {
            // The database answered late (this server lost its lease meanwhile): another server may own it now.
            return;
        }

        var driver = connector.Drivers.Get(bs.Type);
        LogChecking(logger, uuid, bs.Status);
        if (bs.Status == BackupStorageStatus.Connected)
        {
            _failures.TryRemove(uuid, out _);
            await PingAsync(db, bs, row, driver, timeout, ct);
            return;
        }

        await ReconnectAsync(db, bs, row, timeout, ct);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "checking backup storage {Uuid} ({Status})")]
    private static partial void LogChecking(ILogger logger, string uuid, string status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "a ping round failed unexpectedly")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "checking backup storage {Uuid} failed unexpectedly")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception, string uuid);
}
