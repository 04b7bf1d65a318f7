using Microsoft.EntityFrameworkCore;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Images;

/// <summary>
/// CopyImageToBackupStorage (and ZStack ImageStore's name for it, SyncImageFromImageStoreBackupStorage): puts
/// one more copy of a Ready image on another backup storage (<see cref="BackupStorageCopy"/>), verified against
/// the image's recorded size, md5 and sha256; the image and its other copies stay whatever happens.
/// </summary>
public static class CopyImage
{
    private static readonly CopyableKind Kind = new(CopyTable.Image, "image", LoadAsync, ReplyAsync);

    public static ApiDescriptor Api { get; } = Define("CopyImageToBackupStorage", "copyImageToBackupStorage",
        "Copy a Ready image to another backup storage (host to host over sftp when the destination host reaches the source host, else streamed through Stowage); verified by checksum at the destination");

    /// <summary>ZStack ImageStore's name for the same operation, so its SDK calls work unchanged.</summary>
    /// <remarks>
    /// The SDK sends <c>name</c> (mandatory there) and <c>description</c>; ZStack ImageStore names its sync task with
    /// them. Stowage checks them as ZStack does and keeps the image's own name: a copy is the same image.
    /// </remarks>
    public static ApiDescriptor SyncAlias { get; } = Define("SyncImageFromImageStoreBackupStorage", "syncImageFromImageStoreBackupStorage",
        "Alias of CopyImageToBackupStorage under ZStack ImageStore's name (name and description are checked and not applied: the image keeps its name)",
        [
            new("name") { Required = true, MaxLength = 255, EmptyString = false, Description = "name ZStack ImageStore gives the sync; the image keeps its own" },
            new("description") { MaxLength = 2048, Description = "free text (not applied)" },
        ]);

    private static ApiDescriptor Define(string name, string bodyKey, string description, IReadOnlyList<ParamSpec>? extra = null) =>
        BackupStorageCopy.Define(name, "/images/{uuid}/actions", bodyKey, ImageRules.InventoryClass, description, ImageRules.ImageUuid(), Kind, extra);

    private static async Task<StoredItem?> LoadAsync(StowageDbContext db, string uuid, CancellationToken ct)
    {
        var image = await db.Images.AsNoTracking().FirstOrDefaultAsync(i => i.Uuid == uuid, ct);
        if (image is null)
        {
            return null;
        }

        var copies = await db.ImageBackupStorageRefs.AsNoTracking().Where(r => r.ImageUuid == uuid)
            .Select(r => new StoredItemCopy(r.BackupStorageUuid, r.Status, r.InstallPath)).ToListAsync(ct);
        return new StoredItem(uuid, image.Name, image.Status, new ImageExpectations(image.ActualSize, image.Md5Sum, image.Sha256Sum), copies,
            (bsUrl, from) => ImageRules.InstallPath(bsUrl, image.MediaType, image.OwnerAccountUuid, uuid, ImageRules.StoredCopyUri(from)));
    }

    private static async Task<ApiReply> ReplyAsync(ApiContext ctx, StowageDbContext db, string uuid, string dstUuid)
    {
        await ctx.Get<ImageMetadataFile>().RefreshAsync([dstUuid], CancellationToken.None);
        return (await ImageInventory.LoadOneAsync(db, uuid, CancellationToken.None)).Reply();
    }
}
