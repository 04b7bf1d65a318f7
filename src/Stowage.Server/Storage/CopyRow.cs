using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Persistence.Entities;

namespace Stowage.Server.Storage;

/// <summary>The table holding the copy rows a transfer writes: images and volume snapshots/backups keep theirs apart.</summary>
public enum CopyTable
{
    Image,
    VolumeArchive,
}

/// <summary>
/// The copy row a write belongs to. Its reservation and its outcome are kept on it, so the copy pipeline
/// (reserve, transfer, record, release) is the same whatever kind of item is written.
/// </summary>
public readonly record struct CopyRow(CopyTable Table, long Id)
{
    public static CopyRow Image(long id) => new(CopyTable.Image, id);

    /// <summary>Adds a copy of item <paramref name="itemUuid"/> on backup storage <paramref name="bsUuid"/> to <paramref name="table"/> and saves it; <paramref name="nodeId"/> is the server that writes it.</summary>
    public static async Task<CopyRow> AddAsync(
        StowageDbContext db, CopyTable table, string itemUuid, string bsUuid, string installPath, string status, DateTime now, string? nodeId, CancellationToken ct)
    {
        if (table == CopyTable.Image)
        {
            var image = new ImageBackupStorageRefEntity
            {
                ImageUuid = itemUuid, BackupStorageUuid = bsUuid, InstallPath = installPath, Status = status, CreateDate = now, LastOpDate = now, NodeId = nodeId,
            };
            db.ImageBackupStorageRefs.Add(image);
            await db.SaveChangesAsync(ct);
            return Image(image.Id);
        }

        var archive = new VolumeArchiveRefEntity
        {
            ArchiveUuid = itemUuid, BackupStorageUuid = bsUuid, InstallPath = installPath, Status = status, CreateDate = now, LastOpDate = now, NodeId = nodeId,
        };
        db.VolumeArchiveRefs.Add(archive);
        await db.SaveChangesAsync(ct);
        return new(CopyTable.VolumeArchive, archive.Id);
    }

    public Task DeleteAsync(StowageDbContext db)
    {
        var id = Id;
        return Table == CopyTable.Image
            ? db.ImageBackupStorageRefs.Where(r => r.Id == id).ExecuteDeleteAsync(CancellationToken.None)
            : db.VolumeArchiveRefs.Where(r => r.Id == id).ExecuteDeleteAsync(CancellationToken.None);
    }

    public Task<long> ReservedAsync(StowageDbContext db, CancellationToken ct)
    {
        var id = Id;
        return Table == CopyTable.Image
            ? db.ImageBackupStorageRefs.Where(x => x.Id == id).Select(x => x.ReservedSize).FirstOrDefaultAsync(ct)
            : db.VolumeArchiveRefs.Where(x => x.Id == id).Select(x => x.ReservedSize).FirstOrDefaultAsync(ct);
    }

    public Task SetReservedAsync(StowageDbContext db, long size, CancellationToken ct)
    {
        var id = Id;
        return Table == CopyTable.Image
            ? db.ImageBackupStorageRefs.Where(x => x.Id == id).ExecuteUpdateAsync(s => s.SetProperty(x => x.ReservedSize, size), ct)
            : db.VolumeArchiveRefs.Where(x => x.Id == id).ExecuteUpdateAsync(s => s.SetProperty(x => x.ReservedSize, size), ct);
    }

    public Task SetStatusAsync(StowageDbContext db, string status, string? error, DateTime now)
    {
        var id = Id;
        return Table == CopyTable.Image
            ? db.ImageBackupStorageRefs.Where(r => r.Id == id).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, status).SetProperty(r => r.LastError, error)
                .SetProperty(r => r.LastOpDate, now).SetProperty(r => r.Version, r => r.Version + 1), CancellationToken.None)
            : db.VolumeArchiveRefs.Where(r => r.Id == id).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, status).SetProperty(r => r.LastError, error)
                .SetProperty(r => r.LastOpDate, now).SetProperty(r => r.Version, r => r.Version + 1), CancellationToken.None);
    }

    /// <summary>Bytes held on a backup storage by every running write, whatever it writes.</summary>
    public static async Task<long> ReservedOnAsync(StowageDbContext db, string bsUuid, CancellationToken ct) =>
        await db.ImageBackupStorageRefs.Where(x => x.BackupStorageUuid == bsUuid).SumAsync(x => x.ReservedSize, ct)
        + await db.VolumeArchiveRefs.Where(x => x.BackupStorageUuid == bsUuid).SumAsync(x => x.ReservedSize, ct);
}
