using System.Security.Cryptography;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.GlobalConfigs;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Images;

/// <summary>One unit found on a backup storage: an image folder, a stray file or a temporary download file.</summary>
public sealed record TrashItem(long TrashId, string RelativePath, bool IsFolder, long Size, DateTime CreateDate, string? ResourceUuid, string TrashType, string? ReferencedBy);

/// <summary>A copy's install path, whatever it is a copy of (image, volume snapshot or backup), and its owner.</summary>
public sealed record CopyPath(string ImageUuid, string InstallPath, string Status);

/// <summary>A scan of one backup storage: what it is, how to reach it, and every unit found (referenced or not).</summary>
public sealed record TrashScan(BackupStorageEntity Bs, BackupStorageTarget Target, IStorageHousekeeping Housekeeping, IReadOnlyList<TrashItem> Items);

/// <summary>
/// Finds what nothing references on a backup storage. An image folder (<c>&lt;root&gt;/acct-*/&lt;image&gt;</c>)
/// is referenced while a copy in status Ready, Deleted or Downloading has its install path in it; a
/// temporary download file while its transfer runs on this server, or while its copy is Downloading and
/// the file changed within <see cref="OtherServerGrace"/> (another server may be writing it, or hashing what it wrote). The database
/// is the truth: a scan is taken fresh for every call, nothing is stored.
/// </summary>
public sealed class ImageTrash(
    StowageDbContextFactory dbFactory,
    BackupStorageConnector connector,
    TransferRegistry transfers,
    TimeProvider clock)
{
    /// <summary>A temporary file untouched this long is not being written or verified by any server.</summary>
    public static readonly TimeSpan OtherServerGrace = TimeSpan.FromHours(3);

    public const string OrphanImage = "OrphanImage";
    public const string StaleDownload = "StaleDownload";

    /// <summary>The Connected backup storage's units; SYS.1006 when it is not Connected or its type cannot be swept.</summary>
    public async Task<TrashScan> ScanAsync(string bsUuid, CancellationToken ct)
    {
        await using var db = dbFactory.CreateDbContext();
        var bs = await db.BackupStorages.AsNoTracking().FirstOrDefaultAsync(b => b.Uuid == bsUuid, ct)
            ?? throw ApiException.NotFound($"Cannot find backup storage[uuid:{bsUuid}], it may have been deleted");
        if (bs.Status != BackupStorageStatus.Connected)
        {
            throw ApiException.Operation($"backup storage[uuid:{bsUuid}] is {bs.Status}, not Connected; its files cannot be listed");
        }

        if (connector.Drivers.Get(bs.Type) is not IStorageHousekeeping housekeeping)
        {
            throw ApiException.Operation($"backup storage type {bs.Type} cannot list its files");
        }

        var target = await connector.LoadTargetAsync(db, bs, ct);
        var files = await housekeeping.ListImageFilesAsync(target, ct);
        return new TrashScan(bs, target, housekeeping, Classify(bs, files, await CopiesOnAsync(db, bsUuid, ct)));
    }

    /// <summary>The image that still holds <paramref name="item"/>'s path now, or null (checked again right before a deletion).</summary>
    public async Task<string?> ReferencedByAsync(BackupStorageEntity bs, TrashItem item, CancellationToken ct)
    {
        await using var db = dbFactory.CreateDbContext();
        var refs = (await CopiesOnAsync(db, bs.Uuid, ct)).Where(r => r.Status != ImageStatus.Error).ToList();
        var path = bs.Url.TrimEnd('/') + "/" + item.RelativePath;
        var hit = item.TrashType == StaleDownload
            ? refs.FirstOrDefault(r => r.Status == ImageStatus.Downloading && transfers.IsRunning(r.ImageUuid, bs.Uuid) && path == r.InstallPath + IStorageHousekeeping.TempSuffix)
            : refs.FirstOrDefault(r => r.InstallPath == path || r.InstallPath.StartsWith(path + "/", StringComparison.Ordinal));
        return hit?.ImageUuid;
    }

    /// <summary>Every copy row on the backup storage: volume snapshot and backup files are referenced like image files.</summary>
    private static async Task<List<CopyPath>> CopiesOnAsync(StowageDbContext db, string bsUuid, CancellationToken ct) =>
    [
        .. await db.ImageBackupStorageRefs.AsNoTracking().Where(r => r.BackupStorageUuid == bsUuid)
            .Select(r => new CopyPath(r.ImageUuid, r.InstallPath, r.Status)).ToListAsync(ct),
        .. await db.VolumeArchiveRefs.AsNoTracking().Where(r => r.BackupStorageUuid == bsUuid)
            .Select(r => new CopyPath(r.ArchiveUuid, r.InstallPath, r.Status)).ToListAsync(ct),
    ];

    private List<TrashItem> Classify(BackupStorageEntity bs, IReadOnlyList<StoredFile> files, List<CopyPath> refs)
    {
        var root = bs.Url.TrimEnd('/') + "/";
        var now = clock.GetUtcNow().UtcDateTime;
        var timeout = OtherServerGrace;
        var live = refs.Where(r => r.Status != ImageStatus.Error && r.InstallPath.StartsWith(root, StringComparison.Ordinal))
            .Select(r => (Ref: r, Rel: r.InstallPath[root.Length..])).ToList();
        var folders = live.GroupBy(x => Folder(x.Rel) ?? x.Rel, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Ref.ImageUuid, StringComparer.Ordinal);
        var items = new List<TrashItem>();

        var complete = files.Where(f => !f.RelativePath.EndsWith(IStorageHousekeeping.TempSuffix, StringComparison.Ordinal)).ToList();
        foreach (var group in complete.GroupBy(f => Folder(f.RelativePath) ?? f.RelativePath, StringComparer.Ordinal))
        {
            var isFolder = group.Any(f => f.RelativePath != group.Key);
            var all = isFolder ? files.Where(f => f.RelativePath.StartsWith(group.Key + "/", StringComparison.Ordinal)).ToList() : [.. group];
            var by = folders.GetValueOrDefault(group.Key) ?? live.FirstOrDefault(x => x.Rel == group.Key).Ref?.ImageUuid;
            items.Add(Item(bs.Uuid, group.Key, isFolder, all, OrphanImage, by));
        }

        // A temporary file in an orphan folder goes with that folder. One in a folder an image still holds is a unit of its
        // own (an interrupted rewrite of the key, e.g. a repair cut by a crash): skipping it as well would leave it, and on
        // an object store its segments or multipart parts, counted as used but never listed nor swept.
        var orphanFolders = items.Where(i => i.IsFolder && i.ReferencedBy is null).Select(i => i.RelativePath + "/").ToList();
        foreach (var temp in files.Where(f => f.RelativePath.EndsWith(IStorageHousekeeping.TempSuffix, StringComparison.Ordinal)))
        {
            if (orphanFolders.Any(p => temp.RelativePath.StartsWith(p, StringComparison.Ordinal)))
            {
                continue;
            }

            var owner = live.FirstOrDefault(x => x.Rel + IStorageHousekeeping.TempSuffix == temp.RelativePath).Ref;
            var running = owner is not null && (transfers.IsRunning(owner.ImageUuid, bs.Uuid)
                || (owner.Status == ImageStatus.Downloading && now - temp.ModifiedUtc < timeout));
            items.Add(Item(bs.Uuid, temp.RelativePath, false, [temp], StaleDownload, running ? owner!.ImageUuid : null));
        }

        return items;
    }

    /// <summary>The image folder (<c>root/acct/image</c>) holding a path, or null when the path is not below one.</summary>
    private static string? Folder(string rel)
    {
        var parts = rel.Split('/');
        return parts.Length >= 4 ? string.Join('/', parts[..3]) : null;
    }

    private static TrashItem Item(string bsUuid, string rel, bool isFolder, IReadOnlyCollection<StoredFile> files, string type, string? referencedBy)
    {
        var segments = rel.Split('/');
        var image = segments.Length >= 3 && segments[2].Length == 32 && segments[2].All(char.IsAsciiHexDigitLower) ? segments[2] : null;
        return new TrashItem(TrashId(bsUuid, rel), rel, isFolder, files.Sum(f => f.Size), files.Max(f => f.ModifiedUtc), image, type, referencedBy);
    }

    /// <summary>Stable across scans and servers (nothing is stored), below 2^53 so JavaScript clients keep it exact.</summary>
    public static long TrashId(string bsUuid, string rel) =>
        BitConverter.ToInt64(SHA256.HashData(Encoding.UTF8.GetBytes(bsUuid + "\n" + rel)), 0) & ((1L << 53) - 1);
}
