using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Resources;
using Stowage.Persistence;
using Stowage.Server.Features.GlobalConfigs;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Verification;

/// <summary>
/// Scheduled verification. Every <c>backupStorage/verify.scanInterval</c> seconds it looks, on each Enabled and
/// Connected backup storage this server owns (the owner in a cluster; a single server owns all), for copies that
/// are due and starts as many as <c>backupStorage/verify.concurrency</c> leaves room for, most overdue first. A copy
/// is due <c>backupStorage/verify.interval</c> after its last verification; one never verified is first due at a
/// point of the interval after its creation given by its row id, so a thousand copies added at once are spread over
/// the interval instead of all read the same day. The schedule is the copies' <c>lastVerifiedDate</c>, so it resumes
/// after a restart where it was (a verification cut by the restart is simply still due). A copy that could not be
/// read is tried again one interval of scans later (at most an hour), not at every scan.
/// </summary>
public sealed partial class VerificationScheduler(
    StowageDbContextFactory dbFactory,
    IBackupStorageOwnership ownership,
    GlobalConfigStore configs,
    CopyVerifier verifier,
    VerificationGate gate,
    TimeProvider clock,
    ILogger<VerificationScheduler> logger) : BackgroundService
{
    private readonly ConcurrentDictionary<long, Task> _running = new();
    private readonly ConcurrentDictionary<(Storage.CopyTable, long), DateTime> _failedAt = new();

    /// <summary>When a copy is first due: creation plus its share of one interval (spread by row id).</summary>
    public static DateTime FirstDue(DateTime created, long id, TimeSpan interval) =>
        created + TimeSpan.FromTicks((long)(interval.Ticks * (((ulong)id * 2654435761UL) % 1000 / 1000.0)));

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        await ownership.WaitReadyAsync(stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await ScanAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                LogScanFailed(logger, e);
            }

            // One-second steps, so a shorter scan interval set meanwhile applies at once.
            var last = clock.GetUtcNow();
            try
            {
                while (clock.GetUtcNow() - last < TimeSpan.FromSeconds(Math.Max(1, configs.GetLong(VerificationConfigs.ScanInterval))))
                {
                    await Task.Delay(TimeSpan.FromSeconds(1), clock, stoppingToken);
                }
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        await Task.WhenAll(_running.Values);
    }

    private async Task ScanAsync(CancellationToken ct)
    {
        var seconds = configs.GetLong(VerificationConfigs.Interval);
        if (seconds <= 0)
        {
            return;
        }

        var interval = TimeSpan.FromSeconds(seconds);
        var now = clock.GetUtcNow().UtcDateTime;
        var retryFailed = TimeSpan.FromSeconds(Math.Min(3600, configs.GetLong(VerificationConfigs.ScanInterval) * 10));
        var cap = (int)configs.GetLong(VerificationConfigs.Concurrency);
        var repair = configs.GetBool(VerificationConfigs.Repair);
        await using var db = dbFactory.CreateDbContext();
        var storages = await db.BackupStorages.AsNoTracking()
            .Where(b => b.Status == BackupStorageStatus.Connected && b.State == nameof(ResourceState.Enabled)).Select(b => b.Uuid).ToListAsync(ct);
        foreach (var bs in storages.Where(ownership.Owns))
        {
            var room = cap - gate.Running(bs);
            if (room <= 0)
            {
                continue;
            }

            var due = (await VerificationRows.OnBackupStorageAsync(db, bs, ct))
                .Select(c => (c.Copy, Due: c.Verified is { } v ? v + interval : FirstDue(c.Created, c.Copy.Row.Id, interval)))
                .Where(c => c.Due <= now && !_running.ContainsKey(c.Copy.Row.Id * 2 + (long)c.Copy.Row.Table)
                    && !(_failedAt.TryGetValue((c.Copy.Row.Table, c.Copy.Row.Id), out var f) && now - f < retryFailed))
                .OrderBy(c => c.Due).Take(room).ToList();
            foreach (var (copy, _) in due)
            {
                Start(copy, repair, ct);
            }
        }
    }

    private void Start(StoredCopyRef copy, bool repair, CancellationToken ct)
    {
        var key = copy.Row.Id * 2 + (long)copy.Row.Table;
        _running[key] = Task.Run(async () =>
        {
            try
            {
                var verdict = await verifier.VerifyAsync(copy, null, repair, ct);
                if (verdict.Outcome == VerificationRows.Failed)
                {
                    _failedAt[(copy.Row.Table, copy.Row.Id)] = clock.GetUtcNow().UtcDateTime;
                }
                else
                {
                    _failedAt.TryRemove((copy.Row.Table, copy.Row.Id), out _);
                }
            }
            catch (OperationCanceledException)
            {
                // Shutdown or a delete: the copy stays due and is verified later.
            }
            catch (Exception e)
            {
                LogVerifyFailed(logger, e, copy.Item, copy.BsUuid);
            }
            finally
            {
                _running.TryRemove(key, out _);
            }
        }, CancellationToken.None);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "scheduled verification: a scan failed")]
    private static partial void LogScanFailed(ILogger logger, Exception e);

    [LoggerMessage(Level = LogLevel.Error, Message = "scheduled verification of {Item} on backup storage {Bs} failed")]
    private static partial void LogVerifyFailed(ILogger logger, Exception e, string item, string bs);
}
