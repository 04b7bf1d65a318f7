using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.BackupStorage;

/// <summary>
/// ZStack's BackupStorageInventory, plus the type's own fields (<see cref="TypeFields"/>, e.g. SFTP's hostname,
/// username and sshPort) under the type's inventory class. The password is not a member: no contract can leak
/// it. <see cref="LastError"/> appears only while a connect or ping is failing, so an admin can see why a
/// backup storage is Disconnected.
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
    string? LastError = null) : IZStackClass
{
    public const string BaseClass = "org.zstack.header.storage.backup.BackupStorageInventory";

    [JsonIgnore]
    public string ZStackClass { get; init; } = BaseClass;

    /// <summary>The type's own fields, written after the common ones.</summary>
    [JsonExtensionData]
    public Dictionary<string, object?>? TypeFields { get; init; }

    public static BackupStorageInventory From(BackupStorageEntity b, IStorageTypeModule? module, IStorageTypeRow? row, IReadOnlyList<string> zones) => new(
        b.Uuid, b.Name, b.Url, b.Description, b.TotalCapacity, b.AvailableCapacity, b.Type, b.State, b.Status, b.CreateDate, b.LastOpDate,
        zones, b.Status == "Connected" ? null : b.LastError)
    {
        ZStackClass = module?.InventoryClass ?? BaseClass,
        TypeFields = row is { InventoryFields.Count: > 0 } ? new Dictionary<string, object?>(row.InventoryFields) : null,
    };

    public static async Task<IReadOnlyList<BackupStorageInventory>> LoadAsync(StowageDbContext db, StorageTypeRegistry types, IReadOnlyList<string> uuids, CancellationToken ct)
    {
        var list = uuids.ToList();
        var rows = await db.BackupStorages.AsNoTracking().Where(b => list.Contains(b.Uuid)).ToDictionaryAsync(b => b.Uuid, ct);
        var typeRows = new Dictionary<string, IStorageTypeRow>(StringComparer.Ordinal);
        foreach (var group in rows.Values.GroupBy(b => b.Type))
        {
            if (types.Find(group.Key) is { } module)
            {
                foreach (var (uuid, row) in await module.FindManyAsync(db, [.. group.Select(b => b.Uuid)], ct))
                {
                    typeRows[uuid] = row;
                }
            }
        }

        var refs = await db.BackupStorageZoneRefs.AsNoTracking().Where(r => list.Contains(r.BackupStorageUuid))
            .OrderBy(r => r.Id).Select(r => new { r.BackupStorageUuid, r.ZoneUuid }).ToListAsync(ct);
        return [.. list.Where(rows.ContainsKey).Select(u => From(rows[u], types.Find(rows[u].Type), typeRows.GetValueOrDefault(u), [.. refs.Where(r => r.BackupStorageUuid == u).Select(r => r.ZoneUuid).Distinct()]))];
    }

    public static async Task<BackupStorageInventory> LoadOneAsync(StowageDbContext db, StorageTypeRegistry types, string uuid, CancellationToken ct) =>
        (await LoadAsync(db, types, [uuid], ct)).Single();

    /// <summary>The inventory of one backup storage inside an API handler.</summary>
    public static Task<BackupStorageInventory> LoadOneAsync(ApiContext ctx, StowageDbContext db, string uuid) =>
        LoadOneAsync(db, ctx.Get<StorageTypeRegistry>(), uuid, ctx.CancellationToken);

    public ApiReply Reply() => ApiReply.Inventory(this, ZStackClass);
}
