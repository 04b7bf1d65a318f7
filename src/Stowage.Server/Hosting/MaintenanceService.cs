using Stowage.Core.Config;
using Stowage.Server.Features.GlobalConfigs;
using Stowage.Server.Identity;
using Stowage.Server.Jobs;

namespace Stowage.Server.Hosting;

/// <summary>Drops job results past their retention and expired sessions, once a minute.</summary>
public sealed partial class MaintenanceService(JobStore jobs, SessionService sessions, GlobalConfigStore configs, TimeProvider clock, ILogger<MaintenanceService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1), clock);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    var retention = TimeSpan.FromSeconds(configs.GetLong(CoreGlobalConfigs.JobResultRetention));
                    var purged = await jobs.PurgeAsync(retention, stoppingToken);
                    var expired = await sessions.PurgeExpiredAsync(stoppingToken);
                    if (purged + expired > 0)
                    {
                        LogPurged(logger, purged, expired);
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
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "purged {Jobs} finished jobs and {Sessions} expired sessions")]
    private static partial void LogPurged(ILogger logger, int jobs, int sessions);

    [LoggerMessage(Level = LogLevel.Warning, Message = "maintenance round failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
