using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Images;

/// <summary>
/// ZStack's ImageBackupStorageRefInventory, plus <c>lastError</c> while a copy is in status Error or Corrupted, <c>lastVerifiedDate</c> and <c>lastVerifyOutcome</c>, and
/// <c>uploadUrl</c> in AddImage's answer for an <c>upload://</c> image (only there: the token is stored hashed).
/// </summary>
public sealed record ImageBackupStorageRefInventory(
    string ImageUuid,
    string BackupStorageUuid,
    string InstallPath,
    string Status,
    string? ExportMd5Sum,
    string? ExportUrl,
    DateTime CreateDate,
    DateTime LastOpDate,
    string? LastError = null,
    string? UploadUrl = null)
{
    /// <summary>When the copy's bytes were last verified (null: never).</summary>
    public DateTime? LastVerifiedDate { get; init; }

    /// <summary>What that verification found: <c>Ok</c>, <c>Corrupted</c> or <c>Failed</c>.</summary>
    public string? LastVerifyOutcome { get; init; }

    public static ImageBackupStorageRefInventory From(ImageBackupStorageRefEntity r) =>
        new(r.ImageUuid, r.BackupStorageUuid, r.InstallPath, r.Status, r.ExportMd5Sum, r.ExportUrl, r.CreateDate, r.LastOpDate, r.LastError)
        {
            LastVerifiedDate = r.LastVerifiedDate, LastVerifyOutcome = r.LastVerifyOutcome,
        };
}

/// <summary>ZStack's ImageInventory (protocol 4.4) plus <c>sha256Sum</c>.</summary>
public sealed record ImageInventory(
    string Uuid,
    string Name,
    string? Description,
    string State,
    string Status,
    long Size,
    long ActualSize,
    string? Md5Sum,
    string? Sha256Sum,
    string Url,
    string MediaType,
    string? GuestOsType,
    string Type,
    string? Platform,
    string? Architecture,
    string? Format,
    bool System,
    bool Virtio,
    DateTime CreateDate,
    DateTime LastOpDate,
    IReadOnlyList<ImageBackupStorageRefInventory> BackupStorageRefs) : IZStackClass
{
    [JsonIgnore]
    public string ZStackClass => ImageRules.InventoryClass;

    public static ImageInventory From(ImageEntity i, IEnumerable<ImageBackupStorageRefEntity> refs) => new(
        i.Uuid, i.Name, i.Description, i.State, i.Status, i.Size, i.ActualSize, i.Md5Sum, i.Sha256Sum, i.Url, i.MediaType, i.GuestOsType,
        i.Type, i.Platform, i.Architecture, i.Format, i.System, i.Virtio, i.CreateDate, i.LastOpDate,
        [.. refs.OrderBy(r => r.Id).Select(ImageBackupStorageRefInventory.From)]);

    public static async Task<IReadOnlyList<ImageInventory>> LoadAsync(StowageDbContext db, IReadOnlyList<string> uuids, CancellationToken ct)
    {
        var list = uuids.ToList();
        var rows = await db.Images.AsNoTracking().Where(i => list.Contains(i.Uuid)).ToDictionaryAsync(i => i.Uuid, ct);
        var refs = await db.ImageBackupStorageRefs.AsNoTracking().Where(r => list.Contains(r.ImageUuid)).ToListAsync(ct);
        return [.. list.Where(rows.ContainsKey).Select(u => From(rows[u], refs.Where(r => r.ImageUuid == u)))];
    }

    public static async Task<ImageInventory> LoadOneAsync(StowageDbContext db, string uuid, CancellationToken ct) =>
        (await LoadAsync(db, [uuid], ct)).Single();

    public ApiReply Reply() => ApiReply.Inventory(this, ZStackClass);
}
