using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Resources;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.Common;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Images;

/// <summary>The PUT actions on an image: update, change state, expunge and recover.</summary>
public static class ImageActions
{
    private const string ActionsPath = "/images/{uuid}/actions";

    private static string? Key(ApiArguments a) => "image-" + a.String("uuid");

    private static async Task<ImageEntity> FindAsync(StowageDbContext db, string uuid, CancellationToken ct) =>
        await db.Images.FirstOrDefaultAsync(i => i.Uuid == uuid, ct)
        ?? throw ApiException.NotFound($"Cannot find image[uuid:{uuid}], it may have been deleted");

    public static ApiDescriptor Update { get; } = new()
    {
        Name = "UpdateImage", Method = "PUT", Path = ActionsPath, BodyKey = "updateImage", ResultClass = ImageRules.InventoryClass,
        Description = "Change an image's descriptive fields",
        Params =
        [
            ImageRules.ImageUuid(),
            new("name") { MaxLength = 255, EmptyString = false, Description = "new name" },
            new("description") { MaxLength = 2048, Description = "new description" },
            new("guestOsType") { MaxLength = 255, Description = "guest OS" },
            new("mediaType") { ValidValues = ImageRules.MediaTypes, Description = "media type" },
            new("format") { MaxLength = 64, Description = "format" },
            new("system", ParamType.Bool) { Description = "system image" },
            new("platform") { ValidValues = ImageRules.Platforms, Description = "platform" },
            new("architecture") { ValidValues = ImageRules.Architectures, Description = "architecture" },
            new("virtio", ParamType.Bool) { Description = "virtio" },
        ],
        SerialKey = Key,
        Handler = async ctx =>
        {
            var a = ctx.Args;
            await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
            var image = await FindAsync(db, a.RequiredString("uuid"), ctx.CancellationToken);
            image.Name = a.String("name") ?? image.Name;
            image.Description = a.Has("description") ? a.String("description") : image.Description;
            image.GuestOsType = a.String("guestOsType") ?? image.GuestOsType;
            image.MediaType = a.String("mediaType") ?? image.MediaType;
            image.Format = a.String("format") ?? image.Format;
            image.System = a.Bool("system") ?? image.System;
            image.Platform = a.String("platform") ?? image.Platform;
            image.Architecture = a.String("architecture") ?? image.Architecture;
            image.Virtio = a.Bool("virtio") ?? image.Virtio;
            image.LastOpDate = ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime;
            await ResourceIndex.SaveAsync(db, ctx.CancellationToken);
            return (await ImageInventory.LoadOneAsync(db, image.Uuid, ctx.CancellationToken)).Reply();
        },
    };

    public static ApiDescriptor ChangeState { get; } = new()
    {
        Name = "ChangeImageState", Method = "PUT", Path = ActionsPath, BodyKey = "changeImageState", ResultClass = ImageRules.InventoryClass,
        Description = "Enable or disable an image",
        Params = [ImageRules.ImageUuid(), new("stateEvent") { Required = true, ValidValues = StateEvents.Valid, IgnoreCase = true, Description = "enable or disable" }],
        SerialKey = Key,
        Handler = async ctx =>
        {
            await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
            var image = await FindAsync(db, ctx.Args.RequiredString("uuid"), ctx.CancellationToken);
            image.State = StateEvents.Apply(ctx.Args.RequiredString("stateEvent")).ToString();
            image.LastOpDate = ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime;
            await ResourceIndex.SaveAsync(db, ctx.CancellationToken);
            return (await ImageInventory.LoadOneAsync(db, image.Uuid, ctx.CancellationToken)).Reply();
        },
    };

    public static ApiDescriptor Expunge { get; } = new()
    {
        Name = "ExpungeImage", Method = "PUT", Path = ActionsPath, BodyKey = "expungeImage",
        Description = "Remove the files of deleted image copies now",
        Params = [ImageRules.ImageUuid(), ImageRules.BackupStorageUuids],
        SerialKey = Key,
        Handler = async ctx =>
        {
            var copies = await DeletedCopiesAsync(ctx);
            var removal = ctx.Get<ImageRemoval>();
            foreach (var copy in copies)
            {
                await removal.ExpungeAsync(copy, ctx.CancellationToken);
            }

            return ApiReply.Empty();
        },
    };

    public static ApiDescriptor Recover { get; } = new()
    {
        Name = "RecoverImage", Method = "PUT", Path = ActionsPath, BodyKey = "recoverImage", ResultClass = ImageRules.InventoryClass,
        Description = "Bring deleted (not yet expunged) image copies back",
        Params = [ImageRules.ImageUuid(), ImageRules.BackupStorageUuids],
        SerialKey = Key,
        Handler = async ctx =>
        {
            var copies = await DeletedCopiesAsync(ctx);
            var ids = copies.Select(c => c.Id).ToList();
            var now = ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime;
            await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
            await db.ImageBackupStorageRefs.Where(r => ids.Contains(r.Id)).ExecuteUpdateAsync(s => s
                .SetProperty(r => r.Status, ImageStatus.Ready).SetProperty(r => r.LastOpDate, now).SetProperty(r => r.Version, r => r.Version + 1), ctx.CancellationToken);
            var image = await FindAsync(db, ctx.Args.RequiredString("uuid"), ctx.CancellationToken);
            image.Status = ImageStatus.Ready;
            image.LastOpDate = now;
            await ResourceIndex.SaveAsync(db, ctx.CancellationToken);
            await ctx.Get<ImageMetadataFile>().RefreshAsync(copies.Select(c => c.BackupStorageUuid), CancellationToken.None);
            return (await ImageInventory.LoadOneAsync(db, image.Uuid, ctx.CancellationToken)).Reply();
        },
    };

    /// <summary>The Deleted copies an expunge or recover applies to, with ZStack's refusals.</summary>
    private static async Task<List<ImageBackupStorageRefEntity>> DeletedCopiesAsync(ApiContext ctx)
    {
        var uuid = ctx.Args.RequiredString("uuid");
        var only = ctx.Args.List("backupStorageUuids");
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        var image = await FindAsync(db, uuid, ctx.CancellationToken);
        var copies = await db.ImageBackupStorageRefs.AsNoTracking().Where(r => r.ImageUuid == uuid).ToListAsync(ctx.CancellationToken);
        foreach (var bs in only ?? [])
        {
            var copy = copies.FirstOrDefault(c => c.BackupStorageUuid == bs)
                ?? throw ApiException.Argument($"the image[uuid:{uuid}] is not on the backup storage[uuid:{bs}]");
            if (copy.Status != ImageStatus.Deleted)
            {
                throw ApiException.Argument($"the image[uuid:{uuid}] is not deleted on the backup storage[uuid:{bs}]");
            }
        }

        var chosen = copies.Where(c => c.Status == ImageStatus.Deleted && (only is null || only.Contains(c.BackupStorageUuid))).ToList();
        return chosen.Count > 0 ? chosen : throw ApiException.Operation($"the image[uuid:{uuid}, name:{image.Name}] is not deleted on any backup storage");
    }
}
