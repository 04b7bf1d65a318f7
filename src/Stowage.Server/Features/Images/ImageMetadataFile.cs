using System.Text;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Images;

/// <summary>
/// Keeps ZStack's image metadata index <c>&lt;url&gt;/bs_sftp_info.json</c> current: one image inventory per
/// line (its <c>backupStorageRefs</c> holding only this backup storage's copy), for every copy in status Ready.
/// The whole file is rewritten (temporary file, then rename) after an add, a delete or a recover, and by
/// each sweep, rather than appended and edited like ZStack's agent, so a lost update heals at the next
/// write. A copy leaves the file when it is deleted (not when expunged), so an import never brings back
/// an image that was deleted. No Ready copy and no file: no file is created.
/// </summary>
public sealed partial class ImageMetadataFile(
    StowageDbContextFactory dbFactory,
    BackupStorageConnector connector,
    KeyedLocks locks,
    ILogger<ImageMetadataFile> logger)
{
    private static string Key(string uuid) => "bs-metadata-" + uuid;

    /// <summary>Rewrites the file of each backup storage; failures are logged, never thrown (the file is an index, not the truth).</summary>
    public async Task RefreshAsync(IEnumerable<string> backupStorageUuids, CancellationToken ct)
    {
        foreach (var uuid in backupStorageUuids.Distinct(StringComparer.Ordinal))
        {
            try
            {
                await WriteAsync(uuid, ct);
            }
            catch (Exception e) when (e is StorageException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                LogWriteFailed(logger, uuid, e.Message);
            }
        }
    }

    /// <summary>The file's content for a backup storage: Ready copies, oldest image first.</summary>
    public static async Task<string> RenderAsync(StowageDbContext db, string bsUuid, CancellationToken ct)
    {
        var refs = await db.ImageBackupStorageRefs.AsNoTracking()
            .Where(r => r.BackupStorageUuid == bsUuid && r.Status == ImageStatus.Ready).ToListAsync(ct);
        var uuids = refs.Select(r => r.ImageUuid).ToList();
        var images = await db.Images.AsNoTracking().Where(i => uuids.Contains(i.Uuid)).ToListAsync(ct);
        var sb = new StringBuilder();
        foreach (var image in images.OrderBy(i => i.CreateDate).ThenBy(i => i.Uuid, StringComparer.Ordinal))
        {
            var inventory = ImageInventory.From(image, refs.Where(r => r.ImageUuid == image.Uuid));
            sb.Append(JsonSerializer.Serialize(inventory, ZStackJson.Options)).Append('\n');
        }

        return sb.ToString();
    }

    private async Task WriteAsync(string uuid, CancellationToken ct)
    {
        using var held = await locks.AcquireAsync(Key(uuid), ct);
        await using var db = dbFactory.CreateDbContext();
        var bs = await db.BackupStorages.AsNoTracking().FirstOrDefaultAsync(b => b.Uuid == uuid, ct);
        if (bs is null || bs.Status != BackupStorageStatus.Connected || connector.Drivers.Get(bs.Type) is not IStorageHousekeeping housekeeping)
        {
            return;
        }

        var content = await RenderAsync(db, uuid, ct);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(TimeSpan.FromMinutes(2));
        await housekeeping.WriteMetadataAsync(await connector.LoadTargetAsync(db, bs, ct), content, limit.Token);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not rewrite the image metadata file of backup storage {Bs} (the next write or sweep retries): {Reason}")]
    private static partial void LogWriteFailed(ILogger logger, string bs, string reason);
}
