using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Features.GlobalConfigs;

namespace Stowage.Server.Features.Images;

/// <summary>
/// Every <c>image/expungeInterval</c> seconds, expunges copies deleted more than <c>image/expungePeriod</c>
/// seconds ago, unless the deletion policy is Never.
/// </summary>
public sealed partial class ImageExpungeService(
    StowageDbContextFactory dbFactory, ImageRemoval removal, GlobalConfigStore configs, Storage.IBackupStorageOwnership ownership, TimeProvider clock, ILogger<ImageExpungeService> logger)
    : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await Task.Delay(TimeSpan.FromSeconds(configs.GetLong(ImageConfigs.ExpungeInterval)), clock, stoppingToken);
                try
                {
                    await RunOnceAsync(stoppingToken);
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

    public async Task<int> RunOnceAsync(CancellationToken ct)
    {
        if (configs.Get(ImageConfigs.DeletionPolicy) == ImageConfigs.Never)
        {
            return 0;
        }

        var before = clock.GetUtcNow().UtcDateTime.AddSeconds(-configs.GetLong(ImageConfigs.ExpungePeriod));
        await using var db = dbFactory.CreateDbContext();
        var due = await db.ImageBackupStorageRefs.AsNoTracking()
            .Where(r => r.Status == ImageStatus.Deleted && r.LastOpDate < before).OrderBy(r => r.Id).Take(1000).ToListAsync(ct);
        // Each server expunges the copies on the backup storages it owns: one server acts on a host.
        due = [.. due.Where(r => ownership.Owns(r.BackupStorageUuid))];
        foreach (var copy in due)
        {
            await removal.ExpungeAsync(copy, ct);
        }

        if (due.Count > 0)
        {
            LogExpunged(logger, due.Count);
        }

        return due.Count;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "expunged {Count} deleted image copies")]
    private static partial void LogExpunged(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "image expunge round failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
