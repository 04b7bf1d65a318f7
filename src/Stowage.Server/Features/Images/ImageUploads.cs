using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.Common;
using Stowage.Server.Features.GlobalConfigs;
using Stowage.Server.Features.VolumeArchives;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Images;

/// <summary>
/// A live upload with what a PUT needs: its row, the copy it fills (an image's, or a volume snapshot's or
/// backup's when <see cref="Kind"/> is set) and the backup storage holding it.
/// </summary>
public sealed record UploadSession(
    ImageUploadEntity Row, CopyRow Copy, string ItemUuid, string InstallPath, BackupStorageEntity Bs, BackupStorageTarget Target, string ItemName,
    VolumeArchiveKind? Kind)
{
    public string BsUuid => Bs.Uuid;

    /// <summary>What is uploaded, as messages name it.</summary>
    public string Noun => Kind?.Noun ?? "image";
}

/// <summary>
/// Upload urls of AddImage with <c>upload://</c>: a 256-bit random token (only its SHA-256 is stored) that
/// expires after <c>image/upload.timeout</c>; completing, failing or expiring an upload settles its copy.
/// </summary>
public sealed partial class ImageUploads(
    StowageDbContextFactory dbFactory,
    BackupStorageConnector connector,
    BackupStorageCapacity capacity,
    TransferRegistry transfers,
    ImageRemoval removal,
    VolumeArchiveRemoval archiveRemoval,
    GlobalConfigStore configs,
    TimeProvider clock,
    IServiceProvider services,
    ILogger<ImageUploads> logger)
{
    public const string RoutePrefix = "/image-uploads";

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>Registers the upload of a copy and answers its url; the token exists in clear only in that url.</summary>
    public async Task<string> CreateAsync(string itemUuid, CopyRow copy, string bsUuid, ImageExpectations expect, CancellationToken ct)
    {
        var image = copy.Table == CopyTable.Image;
        var token = Base64Url(RandomNumberGenerator.GetBytes(32));
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = dbFactory.CreateDbContext();
        db.ImageUploads.Add(new ImageUploadEntity
        {
            RefId = image ? copy.Id : null, ArchiveRefId = image ? null : copy.Id, ImageUuid = itemUuid, BackupStorageUuid = bsUuid, TokenHash = Hash(token), Md5 = expect.Md5, Sha256 = expect.Sha256,
            ExpiresAt = now.AddSeconds(configs.GetLong(ImageConfigs.UploadTimeout)), CreateDate = now,
        });
        await db.SaveChangesAsync(ct);
        return $"{BaseUrl()}/zstack/v1{RoutePrefix}/{token}";
    }

    /// <summary>The live upload of <paramref name="token"/>; null when unknown or expired (an expired one is dropped now).</summary>
    public async Task<UploadSession?> FindAsync(string token, CancellationToken ct)
    {
        if (token.Length is < 40 or > 64)
        {
            return null;
        }

        var hash = Hash(token);
        await using var db = dbFactory.CreateDbContext();
        var row = await db.ImageUploads.AsNoTracking().FirstOrDefaultAsync(u => u.TokenHash == hash, ct);
        if (row is null)
        {
            return null;
        }

        if (row.ExpiresAt <= clock.GetUtcNow().UtcDateTime)
        {
            await DiscardAsync(row, "the upload url expired (global config image/upload.timeout)");
            return null;
        }

        var bs = await db.BackupStorages.AsNoTracking().FirstOrDefaultAsync(b => b.Uuid == row.BackupStorageUuid, ct);
        if (bs is null)
        {
            return null;
        }

        var target = await connector.LoadTargetAsync(db, bs, ct);

        if (row.RefId is { } refId)
        {
            var copy = await db.ImageBackupStorageRefs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == refId, ct);
            var image = await db.Images.AsNoTracking().FirstOrDefaultAsync(i => i.Uuid == row.ImageUuid, ct);
            return copy is null || image is null ? null : new UploadSession(row, CopyRow.Image(copy.Id), image.Uuid, copy.InstallPath, bs, target, image.Name, null);
        }

        var archiveCopy = await db.VolumeArchiveRefs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == row.ArchiveRefId, ct);
        var archive = await db.VolumeArchives.AsNoTracking().FirstOrDefaultAsync(a => a.Uuid == row.ImageUuid, ct);
        return archiveCopy is null || archive is null
            ? null
            : new UploadSession(row, new CopyRow(CopyTable.VolumeArchive, archiveCopy.Id), archive.Uuid, archiveCopy.InstallPath, bs, target, archive.Name, VolumeArchiveKind.Of(archive.Kind));
    }

    public (IBackupStorageDriver Driver, BackupStorageTarget Target) Storage(UploadSession s) =>
        (connector.Drivers.Get(s.Bs.Type), s.Target);

    /// <summary>Fixes the total announced by the first PUT and reserves that much capacity for the copy.</summary>
    public async Task AnnounceTotalAsync(UploadSession s, long total, CancellationToken ct)
    {
        var (driver, target) = Storage(s);
        await capacity.ReserveAsync(driver, target, s.Bs.Name, s.Copy, total, $"{s.Noun}[{s.ItemName}]", ct);
        await using var db = dbFactory.CreateDbContext();
        await db.ImageUploads.Where(u => u.Id == s.Row.Id).ExecuteUpdateAsync(x => x.SetProperty(u => u.TotalSize, total), ct);
        s.Row.TotalSize = total;
    }

    public async Task RecordProgressAsync(UploadSession s, long received)
    {
        await using var db = dbFactory.CreateDbContext();
        await db.ImageUploads.Where(u => u.Id == s.Row.Id).ExecuteUpdateAsync(x => x.SetProperty(u => u.ReceivedSize, received), CancellationToken.None);
    }

    /// <summary>The last byte arrived and the file is in place: the copy and the item become Ready.</summary>
    public async Task CompleteAsync(UploadSession s, ImageFileFacts facts)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        var moved = s.Kind is null && facts.Format == "iso" ? await MoveIsoAsync(s) : null;
        await using (var db = dbFactory.CreateDbContext())
        {
            if (moved is not null)
            {
                await db.ImageBackupStorageRefs.Where(r => r.Id == s.Copy.Id)
                    .ExecuteUpdateAsync(x => x.SetProperty(r => r.InstallPath, moved).SetProperty(r => r.Version, r => r.Version + 1), CancellationToken.None);
            }

            await db.ImageUploads.Where(u => u.Id == s.Row.Id).ExecuteDeleteAsync(CancellationToken.None);
            await s.Copy.SetStatusAsync(db, ImageStatus.Ready, null, now);
            if (s.Kind is null)
            {
                if (await db.Images.FirstOrDefaultAsync(i => i.Uuid == s.ItemUuid, CancellationToken.None) is { } image)
                {
                    AddImage.ApplyFacts(image, facts);
                    image.LastOpDate = now;
                }
            }
            else if (await db.VolumeArchives.FirstOrDefaultAsync(a => a.Uuid == s.ItemUuid, CancellationToken.None) is { } archive)
            {
                AddVolumeArchive.ApplyFacts(archive, facts, now);
            }

            await ResourceIndex.SaveAsync(db, CancellationToken.None);
        }

        var (driver, target) = Storage(s);
        await capacity.ReleaseAsync(driver, target, s.Copy);
        if (s.Kind is null)
        {
            await services.GetRequiredService<ImageMetadataFile>().RefreshAsync([s.BsUuid], CancellationToken.None);
        }
    }

    /// <summary>
    /// An ISO uploaded as a template (ZStack corrects the media type from the bytes) goes where every ISO goes,
    /// the <c>iso</c> folder, like an AddImage of an ISO url. A type that cannot move files keeps the path; a
    /// failed move is logged and the image stays usable where it is.
    /// </summary>
    private async Task<string?> MoveIsoAsync(UploadSession s)
    {
        if (ImageRules.IsoPathFor(s.InstallPath) is not { } to || Storage(s).Driver is not IImageStore store)
        {
            return null;
        }

        try
        {
            return await store.MoveImageAsync(s.Target, s.InstallPath, to, CancellationToken.None) ? to : null;
        }
        catch (StorageException e)
        {
            LogIsoNotMoved(logger, s.ItemUuid, s.BsUuid, e.Message);
            return null;
        }
    }

    /// <summary>Drops an upload that failed or expired: its partial file, its copy and, with no copy left, the image.</summary>
    public async Task DiscardAsync(ImageUploadEntity row, string reason)
    {
        LogDiscarded(logger, row.ImageUuid, row.BackupStorageUuid, reason);
        await transfers.CancelAsync(k => k.Image == row.ImageUuid && k.Bs == row.BackupStorageUuid, TimeSpan.FromSeconds(60));
        await using var db = dbFactory.CreateDbContext();
        await db.ImageUploads.Where(u => u.Id == row.Id).ExecuteDeleteAsync(CancellationToken.None);

        // The copy's row goes first so the re-measure after deleting the files no longer counts its reservation.
        if (row.RefId is { } refId)
        {
            var copy = await db.ImageBackupStorageRefs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == refId, CancellationToken.None);
            if (copy is not null)
            {
                await db.ImageBackupStorageRefs.Where(r => r.Id == copy.Id).ExecuteDeleteAsync(CancellationToken.None);
                await removal.DeleteBitsAsync(copy, null, CancellationToken.None);
            }

            await removal.SettleAsync(db, row.ImageUuid);
            return;
        }

        var archiveCopy = await db.VolumeArchiveRefs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == row.ArchiveRefId, CancellationToken.None);
        if (archiveCopy is not null)
        {
            await db.VolumeArchiveRefs.Where(r => r.Id == archiveCopy.Id).ExecuteDeleteAsync(CancellationToken.None);
            await archiveRemoval.DeleteBitsAsync(archiveCopy, null, CancellationToken.None);
        }

        await VolumeArchiveRemoval.SettleAsync(db, row.ImageUuid);
    }

    /// <summary>Drops every upload past its expiry; run now and then by <see cref="ImageUploadReaper"/>.</summary>
    public async Task DiscardExpiredAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        List<ImageUploadEntity> expired;
        await using (var db = dbFactory.CreateDbContext())
        {
            expired = await db.ImageUploads.AsNoTracking().Where(u => u.ExpiresAt <= now).ToListAsync(ct);
        }

        // In a cluster the owner of the backup storage drops its expired uploads (it alone acts on the host).
        var ownership = services.GetRequiredService<IBackupStorageOwnership>();
        foreach (var row in expired.Where(r => ownership.Owns(r.BackupStorageUuid) && !transfers.IsRunning(r.ImageUuid, r.BackupStorageUuid)))
        {
            await DiscardAsync(row, "the upload url expired (global config image/upload.timeout)");
        }
    }

    private string BaseUrl()
    {
        var addresses = services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        return (addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.Ordinal)) ?? addresses.FirstOrDefault() ?? "http://127.0.0.1:8080").TrimEnd('/');
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    [LoggerMessage(Level = LogLevel.Warning, Message = "image {Image} on backup storage {Bs} is an ISO uploaded as a template and stays at its template path: {Reason}")]
    private static partial void LogIsoNotMoved(ILogger logger, string image, string bs, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "upload of {Image} to backup storage {Bs} dropped: {Reason}")]
    private static partial void LogDiscarded(ILogger logger, string image, string bs, string reason);
}

/// <summary>Drops expired uploads once a minute, so an abandoned upload does not hold its partial file and reservation forever.</summary>
public sealed class ImageUploadReaper(ImageUploads uploads, TimeProvider clock) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMinutes(1), clock);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await uploads.DiscardExpiredAsync(stoppingToken);
            }
            catch (Exception e) when (e is StorageException or DbUpdateException)
            {
                // The next tick tries again.
            }
        }
    }
}
