using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Images;

/// <summary>
/// SyncImageSize (<c>PUT /images/{uuid}/actions {"syncImageSize":{}}</c>): re-reads the size of the image file on a
/// backup storage holding a Ready copy and Connected, records it as <c>actualSize</c> (and as <c>size</c> for formats
/// whose virtual size is the file size: raw and iso), and answers the image. It reads through the storage type's
/// <see cref="IImageReader"/>, so any type that can export can answer it.
/// </summary>
public static class SyncImageSize
{
    public static ApiDescriptor Api { get; } = new()
    {
        Name = "SyncImageSize", Method = "PUT", Path = "/images/{uuid}/actions", BodyKey = "syncImageSize", ResultClass = ImageRules.InventoryClass,
        Description = "Re-read an image's actual size from a backup storage holding a Ready copy (and its size for raw and iso images)",
        Params = [ImageRules.ImageUuid()],
        SerialKey = a => "image-" + a.String("uuid"),
        Handler = HandleAsync,
    };

    private static async Task<ApiReply> HandleAsync(ApiContext ctx)
    {
        var ct = ctx.CancellationToken;
        var uuid = ctx.Args.RequiredString("uuid");
        var connector = ctx.Get<BackupStorageConnector>();
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        var image = await db.Images.FirstOrDefaultAsync(i => i.Uuid == uuid, ct)
            ?? throw ApiException.NotFound($"Cannot find image[uuid:{uuid}], it may have been deleted");
        var candidates = await (from r in db.ImageBackupStorageRefs.AsNoTracking()
                                join b in db.BackupStorages.AsNoTracking() on r.BackupStorageUuid equals b.Uuid
                                where r.ImageUuid == uuid && r.Status == ImageStatus.Ready && b.Status == BackupStorageStatus.Connected
                                orderby r.Id
                                select new { Ref = r, Bs = b }).ToListAsync(ct);
        if (candidates.Count == 0)
        {
            throw ApiException.Operation($"no Connected backup storage holds a Ready copy of image[uuid:{uuid}, name:{image.Name}]; cannot sync its size");
        }

        StorageException? last = null;
        foreach (var c in candidates)
        {
            if (connector.Drivers.Get(c.Bs.Type) is not IImageReader reader)
            {
                continue;
            }

            try
            {
                await using var file = await reader.OpenReadAsync(await connector.LoadTargetAsync(db, c.Bs, ct), c.Ref.InstallPath, 0, ct);
                image.ActualSize = file.Length;
                if (image.Format is "raw" or "iso")
                {
                    image.Size = file.Length;
                }

                image.LastOpDate = ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime;
                await Common.ResourceIndex.SaveAsync(db, ct);
                return (await ImageInventory.LoadOneAsync(db, uuid, ct)).Reply();
            }
            catch (StorageException e)
            {
                last = e;
            }
        }

        throw ApiException.Operation($"could not read the size of image[uuid:{uuid}] on any backup storage holding it: {last?.Message ?? "no storage type there can read files"}");
    }
}
