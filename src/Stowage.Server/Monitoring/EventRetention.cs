using Microsoft.EntityFrameworkCore;
using Stowage.Core.Config;
using Stowage.Persistence;
using Stowage.Server.Features.GlobalConfigs;
using Stowage.Server.Storage;

namespace Stowage.Server.Monitoring;

/// <summary>
/// Keeps the event history bounded: once a minute, events older than <c>backupStorage/event.retention</c> are deleted
/// (with their webhook deliveries, by cascade). In a cluster only the server the hash ring gives the key
/// <c>event-retention</c> runs it, so the servers do not repeat each other's deletes (a repeat would be harmless).
/// </summary>
public sealed partial class EventRetention(
    StowageDbContextFactory dbFactory, GlobalConfigStore configs, IBackupStorageOwnership ownership, TimeProvider clock, ILogger<EventRetention> logger) : BackgroundService
{
    public const string Key = "event-retention";

    public static readonly GlobalConfigDefinition Retention = new(
        "backupStorage", "event.retention", "Seconds a backup storage event (status change, disconnection, capacity alert, corruption, repair) is kept, with its webhook deliveries",
        "2592000", GlobalConfigType.Long, NumberGreaterThan: 60);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await PruneAsync(stoppingToken);
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
    }

    /// <summary>Deletes the events past their retention when this server runs the pruning; answers how many went.</summary>
    public async Task<int> PruneAsync(CancellationToken ct)
    {
        if (ownership.RouteKey(Key) is not OwnerRoute.Local)
        {
            return 0;
        }

        var cutoff = clock.GetUtcNow().UtcDateTime - TimeSpan.FromSeconds(configs.GetLong(Retention));
        await using var db = dbFactory.CreateDbContext();
        var deleted = await db.BackupStorageEvents.Where(e => e.CreateDate < cutoff).ExecuteDeleteAsync(ct);
        if (deleted > 0)
        {
            LogPruned(logger, deleted);
        }

        return deleted;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "deleted {Count} backup storage events past backupStorage/event.retention")]
    private static partial void LogPruned(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "event retention round failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
