using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Features.GlobalConfigs;

namespace Stowage.Server.Features.Export;

/// <summary>
/// Revoked means revoked: an export is deleted for good once it expired, so a later raise of
/// <c>backupStorage/export.expirationTime</c> revives nothing. Expired rows go every <see cref="Interval"/>, and
/// at once (under the old value) when the value changes.
/// </summary>
public sealed partial class ExportReaper(StowageDbContextFactory dbFactory, GlobalConfigStore configs, TimeProvider clock, ILogger<ExportReaper> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(30);

    /// <summary>Deletes the exports older than <paramref name="lifetimeSeconds"/>; the count.</summary>
    public async Task<int> ReapAsync(long lifetimeSeconds, CancellationToken ct)
    {
        var cutoff = clock.GetUtcNow().UtcDateTime - TimeSpan.FromSeconds(lifetimeSeconds);
        await using var db = dbFactory.CreateDbContext();
        return await db.ImageExports.Where(x => x.CreateDate <= cutoff).ExecuteDeleteAsync(ct);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        configs.Changed += OnChanged;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    await ReapAsync(configs.GetLong(ExportConfigs.ExpirationTime), stoppingToken);
                }
                catch (Exception e) when (e is DbUpdateException or InvalidOperationException or TimeoutException)
                {
                    LogFailed(logger, e.Message);
                }

                await Task.Delay(Interval, clock, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
        finally
        {
            configs.Changed -= OnChanged;
        }
    }

    /// <summary>Raised on the changing thread: the exports expired under the old value go before any download can see the new one.</summary>
    private void OnChanged(GlobalConfigChanged change)
    {
        if (change.Definition.Key != ExportConfigs.ExpirationTime.Key || !long.TryParse(change.OldValue, System.Globalization.CultureInfo.InvariantCulture, out var old))
        {
            return;
        }

        try
        {
            ReapAsync(old, CancellationToken.None).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is DbUpdateException or InvalidOperationException or TimeoutException)
        {
            LogFailed(logger, e.Message);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not delete expired exports: {Reason}")]
    private static partial void LogFailed(ILogger logger, string reason);
}
