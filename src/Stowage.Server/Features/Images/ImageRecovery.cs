using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Images;

/// <summary>
/// At start, before the API is served: copies still Downloading on this server's backup storages lost their
/// transfer with the previous process (its job is failed by the job store). Each becomes Error with the
/// reason and gives its reservation back; an image left without a Ready copy is removed, as AddImage does
/// when every copy fails; one with a Ready copy becomes Ready. Their temporary files are removed by the first
/// sweep (<see cref="ImageSweeper"/>). Each copy records the server writing it, so in a cluster only the
/// restarted (or dead, see <c>ClusterReaper</c>) server's writes are failed.
/// </summary>
public static partial class ImageRecovery
{
    public const string Reason = "the management server restarted during the download";

    /// <summary>At start: the copies this server was writing, and unassigned ones on backup storages it owns.</summary>
    public static Task<int> RecoverAsync(IServiceProvider services, CancellationToken ct)
    {
        var node = services.GetRequiredService<Hosting.NodeIdentity>().Id;
        var ownership = services.GetRequiredService<IBackupStorageOwnership>();
        return RecoverAsync(services, (n, bs) => n == node || n is null && ownership.Owns(bs), Reason, ct);
    }

    /// <summary>Fails the Downloading copies <paramref name="interruptedWrite"/> (writer node, backup storage) picks.</summary>
    public static async Task<int> RecoverAsync(IServiceProvider services, Func<string?, string, bool> interruptedWrite, string reason, CancellationToken ct)
    {
        var dbFactory = services.GetRequiredService<StowageDbContextFactory>();
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ImageRecovery).FullName!);
        await using var db = dbFactory.CreateDbContext();
        // A pending upload is not a transfer of the old process: its partial file and its row wait for the next PUT.
        var interrupted = (await db.ImageBackupStorageRefs.AsNoTracking()
                .Where(r => r.Status == ImageStatus.Downloading && !db.ImageUploads.Any(u => u.RefId == r.Id)).ToListAsync(ct))
            .Where(r => interruptedWrite(r.NodeId, r.BackupStorageUuid)).ToList();
        foreach (var copy in interrupted)
        {
            var text = $"failed to download image on backup storage[uuid: {copy.BackupStorageUuid}], because: {reason}";
            LogInterrupted(logger, copy.ImageUuid, copy.BackupStorageUuid, copy.InstallPath);
            await FailAsync(db, CopyRow.Image(copy.Id), text, now, ct);
        }

        foreach (var image in interrupted.Select(c => c.ImageUuid).Distinct())
        {
            var statuses = await db.ImageBackupStorageRefs.Where(r => r.ImageUuid == image).Select(r => r.Status).ToListAsync(ct);
            if (statuses.Contains(ImageStatus.Downloading))
            {
                continue;
            }

            if (!statuses.Contains(ImageStatus.Ready))
            {
                await ImageRemoval.RemoveImageRowAsync(db, image);
                continue;
            }

            // The reply that would have copied size and checksums from the first copy never ran; the copy is usable.
            await db.Images.Where(i => i.Uuid == image && i.Status == ImageStatus.Downloading).ExecuteUpdateAsync(s => s
                .SetProperty(i => i.Status, ImageStatus.Ready).SetProperty(i => i.LastOpDate, now).SetProperty(i => i.Version, i => i.Version + 1), ct);
        }

        return interrupted.Count;
    }

    /// <summary>The copy lost its transfer: Error with the reason, and no reservation held any more.</summary>
    public static async Task FailAsync(StowageDbContext db, CopyRow row, string text, DateTime now, CancellationToken ct)
    {
        await row.SetReservedAsync(db, 0L, ct);
        await row.SetStatusAsync(db, ImageStatus.Error, text, now);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "image {Image} on backup storage {Bs}: the management server restarted during the download; the copy failed and its temporary file ({Path}) goes with the first sweep")]
    private static partial void LogInterrupted(ILogger logger, string image, string bs, string path);
}
