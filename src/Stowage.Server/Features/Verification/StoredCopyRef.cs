using Microsoft.EntityFrameworkCore;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Server.Features.Images;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Verification;

/// <summary>One copy to verify: its row (image or volume snapshot/backup table), item, backup storage and file.</summary>
public sealed record StoredCopyRef(CopyRow Row, string ItemUuid, string BsUuid, string InstallPath, string Noun)
{
    public string Item => $"{Noun}[uuid:{ItemUuid}]";
}

/// <summary>The recorded facts a copy is verified against, and the item's other copies (repair sources).</summary>
internal sealed record RecordedItem(string Name, ImageExpectations Expect, IReadOnlyList<StoredCopyState> Copies);

/// <summary>A copy row as verification and repair read it.</summary>
internal sealed record StoredCopyState(long Id, string BsUuid, string InstallPath, string Status, string? LastVerifyOutcome);

/// <summary>Reading and writing copy rows of either table for verification.</summary>
internal static class VerificationRows
{
    public const string Ok = "Ok";
    public const string Corrupted = "Corrupted";
    public const string Failed = "Failed";

    public static async Task<RecordedItem?> LoadItemAsync(StowageDbContext db, CopyTable table, string uuid, CancellationToken ct)
    {
        if (table == CopyTable.Image)
        {
            var image = await db.Images.AsNoTracking().FirstOrDefaultAsync(i => i.Uuid == uuid, ct);
            return image is null ? null : new RecordedItem(image.Name, new ImageExpectations(image.ActualSize, image.Md5Sum, image.Sha256Sum),
                await db.ImageBackupStorageRefs.AsNoTracking().Where(r => r.ImageUuid == uuid).OrderBy(r => r.Id)
                    .Select(r => new StoredCopyState(r.Id, r.BackupStorageUuid, r.InstallPath, r.Status, r.LastVerifyOutcome)).ToListAsync(ct));
        }

        var archive = await db.VolumeArchives.AsNoTracking().FirstOrDefaultAsync(a => a.Uuid == uuid, ct);
        return archive is null ? null : new RecordedItem(archive.Name, new ImageExpectations(archive.ActualSize, archive.Md5Sum, archive.Sha256Sum),
            await db.VolumeArchiveRefs.AsNoTracking().Where(r => r.ArchiveUuid == uuid).OrderBy(r => r.Id)
                .Select(r => new StoredCopyState(r.Id, r.BackupStorageUuid, r.InstallPath, r.Status, r.LastVerifyOutcome)).ToListAsync(ct));
    }

    /// <summary>
    /// Records a verification's outcome on the copy while it is still Ready or Corrupted (a copy deleted or rewritten
    /// meanwhile keeps its new state). <paramref name="status"/> null keeps the status (a failed read proves nothing).
    /// Answers the status the copy had, or null when the row was not updated.
    /// </summary>
    public static async Task<string?> RecordAsync(StowageDbContext db, CopyRow row, string? status, string outcome, string? error, DateTime? verified, DateTime now)
    {
        var id = row.Id;
        string? before;
        int n;
        if (row.Table == CopyTable.Image)
        {
            before = await db.ImageBackupStorageRefs.Where(r => r.Id == id).Select(r => r.Status).FirstOrDefaultAsync(CancellationToken.None);
            var q = db.ImageBackupStorageRefs.Where(r => r.Id == id && (r.Status == ImageStatus.Ready || r.Status == ImageStatus.Corrupted));
            n = status is null
                ? await q.ExecuteUpdateAsync(s => s.SetProperty(r => r.LastVerifyOutcome, outcome).SetProperty(r => r.Version, r => r.Version + 1), CancellationToken.None)
                : await q.ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, status).SetProperty(r => r.LastError, error)
                    .SetProperty(r => r.LastVerifiedDate, verified).SetProperty(r => r.LastVerifyOutcome, outcome)
                    .SetProperty(r => r.LastOpDate, now).SetProperty(r => r.Version, r => r.Version + 1), CancellationToken.None);
        }
        else
        {
            before = await db.VolumeArchiveRefs.Where(r => r.Id == id).Select(r => r.Status).FirstOrDefaultAsync(CancellationToken.None);
            var q = db.VolumeArchiveRefs.Where(r => r.Id == id && (r.Status == ImageStatus.Ready || r.Status == ImageStatus.Corrupted));
            n = status is null
                ? await q.ExecuteUpdateAsync(s => s.SetProperty(r => r.LastVerifyOutcome, outcome).SetProperty(r => r.Version, r => r.Version + 1), CancellationToken.None)
                : await q.ExecuteUpdateAsync(s => s.SetProperty(r => r.Status, status).SetProperty(r => r.LastError, error)
                    .SetProperty(r => r.LastVerifiedDate, verified).SetProperty(r => r.LastVerifyOutcome, outcome)
                    .SetProperty(r => r.LastOpDate, now).SetProperty(r => r.Version, r => r.Version + 1), CancellationToken.None);
        }

        return n == 0 ? null : before;
    }

    /// <summary>Every Ready or Corrupted copy on a backup storage, of both tables (VerifyBackupStorage and the scheduler).</summary>
    public static async Task<List<(StoredCopyRef Copy, DateTime Created, DateTime? Verified)>> OnBackupStorageAsync(StowageDbContext db, string bsUuid, CancellationToken ct)
    {
        var images = await db.ImageBackupStorageRefs.AsNoTracking()
            .Where(r => r.BackupStorageUuid == bsUuid && (r.Status == ImageStatus.Ready || r.Status == ImageStatus.Corrupted))
            .Select(r => new { r.Id, r.ImageUuid, r.InstallPath, r.CreateDate, r.LastVerifiedDate }).ToListAsync(ct);
        var archives = await db.VolumeArchiveRefs.AsNoTracking()
            .Where(r => r.BackupStorageUuid == bsUuid && (r.Status == ImageStatus.Ready || r.Status == ImageStatus.Corrupted))
            .Join(db.VolumeArchives.AsNoTracking(), r => r.ArchiveUuid, a => a.Uuid, (r, a) => new { r.Id, r.ArchiveUuid, a.Kind, r.InstallPath, r.CreateDate, r.LastVerifiedDate })
            .ToListAsync(ct);
        return
        [
            .. images.Select(r => (new StoredCopyRef(CopyRow.Image(r.Id), r.ImageUuid, bsUuid, r.InstallPath, "image"), r.CreateDate, r.LastVerifiedDate)),
            .. archives.Select(r => (new StoredCopyRef(new CopyRow(CopyTable.VolumeArchive, r.Id), r.ArchiveUuid, bsUuid, r.InstallPath,
                VolumeArchives.VolumeArchiveKind.Of(r.Kind).Noun), r.CreateDate, r.LastVerifiedDate)),
        ];
    }
}
