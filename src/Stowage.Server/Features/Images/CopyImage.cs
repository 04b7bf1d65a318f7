using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Resources;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Images;

/// <summary>
/// CopyImageToBackupStorage (and ZStack ImageStore's name for it, SyncImageFromImageStoreBackupStorage): puts
/// one more copy of a Ready image on another backup storage, pulled by the destination host from the source
/// host or streamed through Stowage (<see cref="BackupStorageCopies"/>), verified against the image's recorded
/// size, md5 and sha256. The new copy is Downloading, then Ready. The copy is all or nothing: when it fails or is
/// cancelled its row, partial file and reservation go, and the call fails; the image and its other copies stay.
/// </summary>
public static class CopyImage
{
    public static ApiDescriptor Api { get; } = Define("CopyImageToBackupStorage", "copyImageToBackupStorage",
        "Copy a Ready image to another backup storage (host to host over sftp when the destination host reaches the source host, else streamed through Stowage); verified by checksum at the destination");

    /// <summary>ZStack ImageStore's name for the same operation, so its SDK calls work unchanged.</summary>
    public static ApiDescriptor SyncAlias { get; } = Define("SyncImageFromImageStoreBackupStorage", "syncImageFromImageStoreBackupStorage",
        "Alias of CopyImageToBackupStorage under ZStack ImageStore's name");

    private static ApiDescriptor Define(string name, string bodyKey, string description) => new()
    {
        Name = name,
        Method = "PUT",
        Path = "/images/{uuid}/actions",
        BodyKey = bodyKey,
        ResultClass = ImageRules.InventoryClass,
        Description = description,
        Timeout = TimeSpan.FromHours(72),
        Params =
        [
            ImageRules.ImageUuid(),
            new("dstBackupStorageUuid") { Required = true, ResourceType = "BackupStorageVO", Description = "backup storage to copy to: Enabled, Connected, not holding the image" },
            new("srcBackupStorageUuid") { ResourceType = "BackupStorageVO", Description = "backup storage to copy from (default: one holding a Ready copy and Connected)" },
        ],
        Handler = HandleAsync,
    };

    private static async Task<ApiReply> HandleAsync(ApiContext ctx)
    {
        var ct = ctx.CancellationToken;
        var uuid = ctx.Args.RequiredString("uuid");
        var dstUuid = ctx.Args.RequiredString("dstBackupStorageUuid");
        var dbFactory = ctx.Get<StowageDbContextFactory>();
        var now = ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime;
        ImageEntity image;
        ImageBackupStorageRefEntity from;
        ImageBackupStorageRefEntity copy;
        await using (var db = dbFactory.CreateDbContext())
        {
            image = await db.Images.AsNoTracking().FirstOrDefaultAsync(i => i.Uuid == uuid, ct)
                ?? throw ApiException.NotFound($"Cannot find image[uuid:{uuid}], it may have been deleted");
            var dst = await db.BackupStorages.AsNoTracking().FirstAsync(b => b.Uuid == dstUuid, ct);
            ImageRules.RequireEnabledAndConnected(dst, AddImage.DownloadMessage);
            var copies = await db.ImageBackupStorageRefs.AsNoTracking().Where(r => r.ImageUuid == uuid).ToListAsync(ct);
            if (copies.FirstOrDefault(r => r.BackupStorageUuid == dstUuid) is { } existing)
            {
                throw ApiException.Operation($"the image[uuid:{uuid}] is already on the backup storage[uuid:{dstUuid}] with status {existing.Status}"
                    + (existing.Status == ImageStatus.Deleted ? "; recover or expunge that copy first" : string.Empty));
            }

            from = await SourceAsync(db, image, copies, ctx.Args.String("srcBackupStorageUuid"), ct);
            copy = new ImageBackupStorageRefEntity
            {
                ImageUuid = uuid, BackupStorageUuid = dstUuid, Status = ImageStatus.Downloading, CreateDate = now, LastOpDate = now,
                InstallPath = ImageRules.InstallPath(dst.Url, image.MediaType, image.OwnerAccountUuid, uuid, new Uri("file://" + from.InstallPath)),
            };
            db.ImageBackupStorageRefs.Add(copy);
            try
            {
                await db.SaveChangesAsync(ct);
            }
            catch (DbUpdateException)
            {
                // The unique (image, backup storage) index: a concurrent copy to the same destination won the race.
                throw ApiException.Operation($"the image[uuid:{uuid}] is already being copied to the backup storage[uuid:{dstUuid}]");
            }
        }

        var expect = new ImageExpectations(image.ActualSize, image.Md5Sum, image.Sha256Sum);
        var job = new CopyJob(uuid, image.Name, copy.Id, dstUuid, new Uri("file://" + from.InstallPath), $"backup storage[uuid:{from.BackupStorageUuid}]", copy.InstallPath, expect)
        {
            JobUuid = ctx.JobUuid,
            FromBackupStorage = new StoredSource(from.BackupStorageUuid, from.InstallPath),
        };
        var result = await ctx.Get<ImageCopier>().CopyAsync(job, ct);
        await using (var db = dbFactory.CreateDbContext())
        {
            if (result.Facts is null)
            {
                // The transfer removed its partial file and gave the reservation back; the row goes too, so the
                // destination holds no trace and the copy can simply be tried again.
                await db.ImageBackupStorageRefs.Where(r => r.Id == copy.Id).ExecuteDeleteAsync(CancellationToken.None);
                throw result.CancelledByDelete
                    ? ApiException.Operation($"image [uuid:{uuid}] has been deleted")
                    : new ApiException(Errors.Operr(result.Error ?? "the copy failed"));
            }

            await ctx.Get<ImageMetadataFile>().RefreshAsync([dstUuid], CancellationToken.None);
            return (await ImageInventory.LoadOneAsync(db, uuid, CancellationToken.None)).Reply();
        }
    }

    /// <summary>The named copy, which must be Ready on a Connected backup storage; else any such copy.</summary>
    private static async Task<ImageBackupStorageRefEntity> SourceAsync(
        StowageDbContext db, ImageEntity image, List<ImageBackupStorageRefEntity> copies, string? srcUuid, CancellationToken ct)
    {
        if (image.Status != ImageStatus.Ready || image.Sha256Sum is null)
        {
            throw ApiException.Operation($"the image[uuid:{image.Uuid}, name:{image.Name}] is {image.Status}; only a Ready image can be copied");
        }

        var ready = copies.Where(c => c.Status == ImageStatus.Ready && (srcUuid is null || c.BackupStorageUuid == srcUuid)).Select(c => c.BackupStorageUuid).ToList();
        var connected = await db.BackupStorages.AsNoTracking()
            .Where(b => ready.Contains(b.Uuid) && b.Status == BackupStorageStatus.Connected).Select(b => b.Uuid).ToListAsync(ct);
        var pick = copies.Where(c => connected.Contains(c.BackupStorageUuid)).OrderBy(c => c.BackupStorageUuid, StringComparer.Ordinal).FirstOrDefault();
        if (pick is not null)
        {
            return pick;
        }

        if (srcUuid is null)
        {
            throw ApiException.Operation($"the image[uuid:{image.Uuid}] has no Ready copy on a Connected backup storage to copy from");
        }

        var named = copies.FirstOrDefault(c => c.BackupStorageUuid == srcUuid);
        throw named is null
            ? ApiException.Argument($"the image[uuid:{image.Uuid}] is not on the backup storage[uuid:{srcUuid}]")
            : ApiException.Operation(named.Status != ImageStatus.Ready
                ? $"the copy of image[uuid:{image.Uuid}] on backup storage[uuid:{srcUuid}] is {named.Status}, not Ready"
                : $"the source backup storage[uuid:{srcUuid}] is not Connected");
    }
}
