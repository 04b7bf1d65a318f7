using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Features.Images;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.VolumeArchives;

/// <summary>
/// At start, as <see cref="ImageRecovery"/> does for images: copies still Downloading on owned backup storages
/// lost their transfer with the previous process. Each becomes Error and gives its reservation back; an item
/// left without a Ready copy is removed, one with a Ready copy becomes Ready. Temporary files go with the first sweep.
/// </summary>
public static partial class VolumeArchiveRecovery
{
    public static Task<int> RecoverAsync(IServiceProvider services, CancellationToken ct)
    {
        var node = services.GetRequiredService<Hosting.NodeIdentity>().Id;
        var ownership = services.GetRequiredService<IBackupStorageOwnership>();
        return RecoverAsync(services, (n, bs) => n == node || n is null && ownership.Owns(bs), ImageRecovery.Reason, ct);
    }

    /// <summary>Fails the Downloading copies <paramref name="interruptedWrite"/> (writer node, backup storage) picks.</summary>
    public static async Task<int> RecoverAsync(IServiceProvider services, Func<string?, string, bool> interruptedWrite, string reason, CancellationToken ct)
    {
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(VolumeArchiveRecovery).FullName!);
        await using var db = services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        var interrupted = (await db.VolumeArchiveRefs.AsNoTracking()
            .Where(r => r.Status == ImageStatus.Downloading && !db.ImageUploads.Any(u => u.ArchiveRefId == r.Id)).ToListAsync(ct))
            .Where(r => interruptedWrite(r.NodeId, r.BackupStorageUuid)).ToList();
        foreach (var copy in interrupted)
        {
            var text = $"failed to download on backup storage[uuid: {copy.BackupStorageUuid}], because: {reason}";
            LogInterrupted(logger, copy.ArchiveUuid, copy.BackupStorageUuid, copy.InstallPath);
            await ImageRecovery.FailAsync(db, new CopyRow(CopyTable.VolumeArchive, copy.Id), text, now, ct);
        }

        foreach (var uuid in interrupted.Select(c => c.ArchiveUuid).Distinct())
        {
            var statuses = await db.VolumeArchiveRefs.Where(r => r.ArchiveUuid == uuid).Select(r => r.Status).ToListAsync(ct);
            if (statuses.Contains(ImageStatus.Downloading))
            {
                continue;
            }

            if (!statuses.Contains(ImageStatus.Ready))
            {
                await db.VolumeArchiveRefs.Where(r => r.ArchiveUuid == uuid).ExecuteDeleteAsync(ct);
                await VolumeArchiveRemoval.SettleAsync(db, uuid);
                continue;
            }

            await db.VolumeArchives.Where(a => a.Uuid == uuid && a.Status == ImageStatus.Downloading).ExecuteUpdateAsync(s => s
                .SetProperty(a => a.Status, ImageStatus.Ready).SetProperty(a => a.LastOpDate, now).SetProperty(a => a.Version, a => a.Version + 1), ct);
        }

        return interrupted.Count;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "volume snapshot/backup {Uuid} on backup storage {Bs}: the management server restarted during the download; the copy failed and its temporary file ({Path}) goes with the first sweep")]
    private static partial void LogInterrupted(ILogger logger, string uuid, string bs, string path);
}
