using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.VolumeArchives;

/// <summary>
/// One copy: ZStack's VolumeSnapshotBackupStorageRefInventory (<c>volumeSnapshotUuid</c>, <c>backupStorageUuid</c>,
/// <c>installPath</c>) plus status, lastError and dates; a volume backup's copy names its owner <c>volumeBackupUuid</c>.
/// </summary>
public sealed record VolumeArchiveRefInventory(
    string? VolumeSnapshotUuid,
    string? VolumeBackupUuid,
    string BackupStorageUuid,
    string InstallPath,
    string Status,
    string? LastError,
    DateTime CreateDate,
    DateTime LastOpDate,
    string? UploadUrl = null)
{
    public DateTime? LastVerifiedDate { get; init; }

    public string? LastVerifyOutcome { get; init; }

    public static VolumeArchiveRefInventory From(VolumeArchiveKind kind, VolumeArchiveRefEntity r)
    {
        var snapshot = kind == VolumeArchiveKind.Snapshot;
        return new(snapshot ? r.ArchiveUuid : null, snapshot ? null : r.ArchiveUuid, r.BackupStorageUuid, r.InstallPath, r.Status, r.LastError, r.CreateDate, r.LastOpDate)
        {
            LastVerifiedDate = r.LastVerifiedDate, LastVerifyOutcome = r.LastVerifyOutcome,
        };
    }
}

/// <summary>VolumeSnapshotInventory (the fields backup storage knows) or VolumeBackupInventory; treeUuid and parentUuid are snapshot fields.</summary>
public sealed record VolumeArchiveInventory(
    [property: JsonIgnore] VolumeArchiveKind Kind,
    string Uuid,
    string Name,
    string? Description,
    string VolumeUuid,
    string? TreeUuid,
    string? ParentUuid,
    string Status,
    string? Format,
    long Size,
    long ActualSize,
    string? Md5Sum,
    string? Sha256Sum,
    string Url,
    DateTime CreateDate,
    DateTime LastOpDate,
    IReadOnlyList<VolumeArchiveRefInventory> BackupStorageRefs) : IZStackClass
{
    [JsonIgnore]
    public string ZStackClass => Kind.InventoryClass;

    public static VolumeArchiveInventory From(VolumeArchiveKind kind, VolumeArchiveEntity a, IEnumerable<VolumeArchiveRefEntity> refs) => new(
        kind, a.Uuid, a.Name, a.Description, a.VolumeUuid, a.TreeUuid, a.ParentUuid, a.Status, a.Format, a.Size, a.ActualSize, a.Md5Sum, a.Sha256Sum,
        a.Url, a.CreateDate, a.LastOpDate, [.. refs.OrderBy(r => r.Id).Select(r => VolumeArchiveRefInventory.From(kind, r))]);

    public static async Task<IReadOnlyList<VolumeArchiveInventory>> LoadAsync(StowageDbContext db, VolumeArchiveKind kind, IReadOnlyList<string> uuids, CancellationToken ct)
    {
        var list = uuids.ToList();
        var rows = await db.VolumeArchives.AsNoTracking().Where(a => list.Contains(a.Uuid) && a.Kind == kind.Kind).ToDictionaryAsync(a => a.Uuid, ct);
        var refs = await db.VolumeArchiveRefs.AsNoTracking().Where(r => list.Contains(r.ArchiveUuid)).ToListAsync(ct);
        return [.. list.Where(rows.ContainsKey).Select(u => From(kind, rows[u], refs.Where(r => r.ArchiveUuid == u)))];
    }

    public ApiReply Reply() => ApiReply.Inventory(this, ZStackClass);
}
