using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Resources;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Images;

/// <summary>An item kept on backup storages (an image, a volume snapshot or backup) as a copy between backup storages sees it.</summary>
/// <param name="InstallPath">Where a copy goes on a backup storage of the given url, given the source copy's install path.</param>
public sealed record StoredItem(
    string Uuid, string Name, string Status, ImageExpectations Expect, IReadOnlyList<StoredItemCopy> Copies, Func<string, string, string> InstallPath);

public sealed record StoredItemCopy(string BsUuid, string Status, string InstallPath);

/// <summary>What a copy between backup storages needs to know of one kind of item: its table, its name in errors, how to load it and how to answer.</summary>
public sealed record CopyableKind(
    CopyTable Table,
    string Noun,
    Func<StowageDbContext, string, CancellationToken, Task<StoredItem?>> LoadAsync,
    Func<ApiContext, StowageDbContext, string, string, Task<ApiReply>> ReplyAsync);

/// <summary>
/// Copying an item from one backup storage to another (CopyImageToBackupStorage, CopyVolumeSnapshotToBackupStorage,
/// CopyVolumeBackupToBackupStorage): the destination must be Enabled, Connected and not hold the item; the source is
/// a Ready copy on a Connected backup storage. The new copy is Downloading, then Ready, pulled by the destination host
/// or streamed through Stowage (<see cref="BackupStorageCopies"/>) and verified against the item's recorded size
/// and digests. All or nothing: when it fails or is cancelled its row, partial file and reservation go, and the call fails.
/// </summary>
public static class BackupStorageCopy
{
    public static ApiDescriptor Define(
        string name, string path, string bodyKey, string resultClass, string description, ParamSpec uuid, CopyableKind kind, IReadOnlyList<ParamSpec>? extra = null) => new()
    {
        Name = name,
        Method = "PUT",
        Path = path,
        BodyKey = bodyKey,
        ResultClass = resultClass,
        Description = description,
        Timeout = TimeSpan.FromHours(72),
        LongJob = true,
        Params =
        [
            uuid,
            new("dstBackupStorageUuid") { Required = true, ResourceType = "BackupStorageVO", Description = $"backup storage to copy to: Enabled, Connected, not holding the {kind.Noun}" },
            new("srcBackupStorageUuid") { ResourceType = "BackupStorageVO", Description = "backup storage to copy from (default: one holding a Ready copy and Connected)" },
            .. extra ?? [],
        ],
        OwnerBackupStorage = a => a.String("dstBackupStorageUuid"),
        Handler = ctx => RunAsync(ctx, kind),
    };

    private static async Task<ApiReply> RunAsync(ApiContext ctx, CopyableKind kind)
    {
        var ct = ctx.CancellationToken;
        var uuid = ctx.Args.RequiredString("uuid");
        var dstUuid = ctx.Args.RequiredString("dstBackupStorageUuid");
        var dbFactory = ctx.Get<StowageDbContextFactory>();
        var now = ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime;
        StoredItem item;
        StoredItemCopy from;
        CopyRow row;
        string installPath;
        await using (var db = dbFactory.CreateDbContext())
        {
            item = await kind.LoadAsync(db, uuid, ct)
                ?? throw ApiException.NotFound($"Cannot find {kind.Noun}[uuid:{uuid}], it may have been deleted");
            var dst = await db.BackupStorages.AsNoTracking().FirstAsync(b => b.Uuid == dstUuid, ct);
            ImageRules.RequireEnabledAndConnected(dst, AddImage.DownloadMessage);
            if (item.Copies.FirstOrDefault(r => r.BsUuid == dstUuid) is { } existing)
            {
                throw ApiException.Operation($"the {kind.Noun}[uuid:{uuid}] is already on the backup storage[uuid:{dstUuid}] with status {existing.Status}"
                    + (existing.Status == ImageStatus.Deleted ? "; recover or expunge that copy first" : string.Empty));
            }

            from = await SourceAsync(db, kind, item, ctx.Args.String("srcBackupStorageUuid"), ct);
            installPath = item.InstallPath(dst.Url, from.InstallPath);
            try
            {
                row = await CopyRow.AddAsync(db, kind.Table, uuid, dstUuid, installPath, ImageStatus.Downloading, now, ctx.Get<Hosting.NodeIdentity>().Id, ct);
            }
            catch (DbUpdateException)
            {
                // The unique (item, backup storage) index: a concurrent copy to the same destination won the race.
                throw ApiException.Operation($"the {kind.Noun}[uuid:{uuid}] is already being copied to the backup storage[uuid:{dstUuid}]");
            }
        }

        var job = new CopyJob(uuid, item.Name, row.Id, dstUuid, ImageRules.StoredCopyUri(from.InstallPath), $"backup storage[uuid:{from.BsUuid}]", installPath, item.Expect)
        {
            JobUuid = ctx.JobUuid,
            FromBackupStorage = new StoredSource(from.BsUuid, from.InstallPath),
            Table = kind.Table,
            Noun = kind.Noun,
        };
        var result = await ctx.Get<ImageCopier>().CopyAsync(job, ct);
        await using (var db = dbFactory.CreateDbContext())
        {
            if (result.Facts is null)
            {
                // The transfer removed its partial file and gave the reservation back; the row goes too, so the
                // destination holds no trace and the copy can simply be tried again.
                await row.DeleteAsync(db);
                throw result.CancelledByDelete
                    ? ApiException.Operation($"{kind.Noun} [uuid:{uuid}] has been deleted")
                    : new ApiException(Errors.Operr(result.Error ?? "the copy failed"));
            }

            return await kind.ReplyAsync(ctx, db, uuid, dstUuid);
        }
    }

    /// <summary>The named copy, which must be Ready on a Connected backup storage; else any such copy.</summary>
    private static async Task<StoredItemCopy> SourceAsync(StowageDbContext db, CopyableKind kind, StoredItem item, string? srcUuid, CancellationToken ct)
    {
        if (item.Status != ImageStatus.Ready || item.Expect.Sha256 is null)
        {
            throw ApiException.Operation($"the {kind.Noun}[uuid:{item.Uuid}, name:{item.Name}] is {item.Status}; only a Ready {kind.Noun} can be copied");
        }

        var copies = item.Copies;
        var ready = copies.Where(c => c.Status == ImageStatus.Ready && (srcUuid is null || c.BsUuid == srcUuid)).Select(c => c.BsUuid).ToList();
        var connected = await db.BackupStorages.AsNoTracking()
            .Where(b => ready.Contains(b.Uuid) && b.Status == BackupStorageStatus.Connected).Select(b => b.Uuid).ToListAsync(ct);
        var pick = copies.Where(c => connected.Contains(c.BsUuid)).OrderBy(c => c.BsUuid, StringComparer.Ordinal).FirstOrDefault();
        if (pick is not null)
        {
            return pick;
        }

        if (srcUuid is null)
        {
            throw ApiException.Operation($"the {kind.Noun}[uuid:{item.Uuid}] has no Ready copy on a Connected backup storage to copy from");
        }

        var named = copies.FirstOrDefault(c => c.BsUuid == srcUuid);
        throw named is null
            ? ApiException.Argument($"the {kind.Noun}[uuid:{item.Uuid}] is not on the backup storage[uuid:{srcUuid}]")
            : ApiException.Operation(named.Status != ImageStatus.Ready
                ? $"the copy of {kind.Noun}[uuid:{item.Uuid}] on backup storage[uuid:{srcUuid}] is {named.Status}, not Ready"
                : $"the source backup storage[uuid:{srcUuid}] is not Connected");
    }
}
