using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.BackupStorage;

/// <summary>
/// ZStack's BackupStorageInventory, and SftpBackupStorageInventory when the SFTP fields are set. The
/// password is not a member: no contract can leak it. <see cref="LastError"/> appears only while a
/// connect or ping is failing, so an admin can see why a backup storage is Disconnected.
/// </summary>
public sealed record BackupStorageInventory(
    string Uuid,
    string Name,
    string Url,
    string? Description,
    long TotalCapacity,
    long AvailableCapacity,
    string Type,
    string State,
    string Status,
    DateTime CreateDate,
    DateTime LastOpDate,
    IReadOnlyList<string> AttachedZoneUuids,
    string? Hostname = null,
    string? Username = null,
    int? SshPort = null,
    string? LastError = null) : IZStackClass
{
    public const string BaseClass = "org.zstack.header.storage.backup.BackupStorageInventory";
    public const string SftpClass = "org.zstack.storage.backup.sftp.SftpBackupStorageInventory";

    [JsonIgnore]
    public string ZStackClass => Hostname is null ? BaseClass : SftpClass;

    public static BackupStorageInventory From(BackupStorageEntity b, SftpBackupStorageEntity? s, IReadOnlyList<string> zones) => new(
        b.Uuid, b.Name, b.Url, b.Description, b.TotalCapacity, b.AvailableCapacity, b.Type, b.State, b.Status, b.CreateDate, b.LastOpDate,
        zones, s?.Hostname, s?.Username, s?.SshPort, b.Status == "Connected" ? null : b.LastError);

    public static async Task<IReadOnlyList<BackupStorageInventory>> LoadAsync(StowageDbContext db, IReadOnlyList<string> uuids, CancellationToken ct)
    {
        var list = uuids.ToList();
        var rows = await db.BackupStorages.AsNoTracking().Where(b => list.Contains(b.Uuid)).ToDictionaryAsync(b => b.Uuid, ct);
        var sftp = await db.SftpBackupStorages.AsNoTracking().Where(s => list.Contains(s.Uuid)).ToDictionaryAsync(s => s.Uuid, ct);
        var refs = await db.BackupStorageZoneRefs.AsNoTracking().Where(r => list.Contains(r.BackupStorageUuid))
            .OrderBy(r => r.Id).Select(r => new { r.BackupStorageUuid, r.ZoneUuid }).ToListAsync(ct);
        return [.. list.Where(rows.ContainsKey).Select(u => From(rows[u], sftp.GetValueOrDefault(u), [.. refs.Where(r => r.BackupStorageUuid == u).Select(r => r.ZoneUuid).Distinct()]))];
    }

    public static async Task<BackupStorageInventory> LoadOneAsync(StowageDbContext db, string uuid, CancellationToken ct) =>
        (await LoadAsync(db, [uuid], ct)).Single();

    public ApiReply Reply() => ApiReply.Inventory(this, ZStackClass);
}
