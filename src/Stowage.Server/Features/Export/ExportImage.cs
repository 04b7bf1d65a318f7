using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Resources;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.BackupStorage;
using Stowage.Server.Features.GlobalConfigs;
using Stowage.Server.Features.Images;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Export;

/// <summary>
/// ExportImageFromBackupStorage and DeleteExportedImageFromBackupStorage (ZStack's Ceph behaviour, which
/// SFTP lacks in ZStack): the image copy becomes downloadable over HTTP at an unguessable URL that Stowage
/// itself serves (<see cref="ExportDownload"/>). Every export call mints a new URL (only token hashes are
/// kept, so an earlier URL cannot be shown again); all of a copy's URLs work until deleted or expired.
/// </summary>
public static class ExportImage
{
    public const string ExportMessage = "org.zstack.header.storage.backup.APIExportImageFromBackupStorageMsg";

    /// <summary>What the ref's exportUrl shows in place of the token: the URL is a credential, returned once.</summary>
    public const string RedactedToken = "***";

    public static ApiDescriptor Export { get; } = new()
    {
        Name = "ExportImageFromBackupStorage",
        Method = "PUT",
        Path = "/backup-storage/{uuid}/actions",
        BodyKey = "exportImageFromBackupStorage",
        Description = "Make an image copy downloadable over HTTP (Range, HEAD, sha-256/md5 digests) at an unguessable URL until deleted or backupStorage/export.expirationTime passes; answers {imageUrl, exportMd5Sum}",
        Timeout = TimeSpan.FromHours(3),
        Params =
        [
            BackupStorageParams.BsUuid(),
            new("imageUuid") { Required = true, ResourceType = ImageRules.ResourceType, Description = "image to export (must have a Ready copy on this backup storage)" },
            new("exportFormat") { ValidValues = ["raw", "qcow2"], Description = "accepted when it is the image's format; Stowage does not convert" },
        ],
        SerialKey = a => "image-" + a.String("imageUuid"),
        OwnerBackupStorage = a => a.String("uuid"),
        Handler = ExportAsync,
    };

    public static ApiDescriptor DeleteExported { get; } = new()
    {
        Name = "DeleteExportedImageFromBackupStorage",
        Method = "DELETE",
        Path = "/backup-storage/{backupStorageUuid}/exported-images/{imageUuid}",
        Description = "End every export URL of the image's copy on this backup storage (succeeds when there is none)",
        Params =
        [
            BackupStorageParams.BsUuid("backupStorageUuid"),
            ImageRules.ImageUuid("imageUuid"),
        ],
        SerialKey = a => "image-" + a.String("imageUuid"),
        OwnerBackupStorage = a => a.String("backupStorageUuid"),
        Handler = DeleteAsync,
    };

    private static async Task<ApiReply> ExportAsync(ApiContext ctx)
    {
        var ct = ctx.CancellationToken;
        var bsUuid = ctx.Args.RequiredString("uuid");
        var imageUuid = ctx.Args.RequiredString("imageUuid");
        var connector = ctx.Get<BackupStorageConnector>();
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        var bs = await db.BackupStorages.AsNoTracking().FirstOrDefaultAsync(b => b.Uuid == bsUuid, ct)
            ?? throw ApiException.NotFound($"Cannot find backup storage[uuid:{bsUuid}], it may have been deleted");
        ImageRules.RequireEnabledAndConnected(bs, ExportMessage);

        StorageRefusal.Require(connector.Drivers, bs, c => c.ExportsOverHttp && c.ReadsFiles, "exporting images over HTTP");
        if (!connector.Drivers.TryGet(bs.Type, out var driver) || driver is not IImageReader reader)
        {
            throw StorageRefusal.Lacks(bs, "reading its files");
        }

        var image = await db.Images.AsNoTracking().FirstOrDefaultAsync(i => i.Uuid == imageUuid, ct)
            ?? throw ApiException.NotFound($"Cannot find image[uuid:{imageUuid}], it may have been deleted");
        var copy = await db.ImageBackupStorageRefs.FirstOrDefaultAsync(r => r.ImageUuid == imageUuid && r.BackupStorageUuid == bsUuid, ct);
        if (copy is null || copy.Status == ImageStatus.Deleted || image.Status == ImageStatus.Deleted)
        {
            throw ApiException.Operation($"image[uuid:{imageUuid}] is not on backup storage[uuid:{bsUuid}, name:{bs.Name}]");
        }

        if (copy.Status != ImageStatus.Ready)
        {
            throw ApiException.Operation($"image[uuid:{imageUuid}] on backup storage[uuid:{bsUuid}, name:{bs.Name}] is {copy.Status}, not Ready");
        }

        if (ctx.Args.String("exportFormat") is { } format && !string.Equals(format, image.Format, StringComparison.OrdinalIgnoreCase))
        {
            throw ApiException.Argument($"image[uuid:{imageUuid}] is stored as {image.Format ?? "unknown"}; Stowage exports it as stored and does not convert to {format}");
        }

        // Prove the file is there and readable before handing out a URL (this also opens the read session).
        try
        {
            await using var probe = await reader.OpenReadAsync(await connector.LoadTargetAsync(db, bs, ct), copy.InstallPath, 0, ct);
        }
        catch (StorageException e)
        {
            throw new ApiException(Errors.Operr($"cannot export image[uuid:{imageUuid}] from backup storage[uuid:{bsUuid}]: {e.Message}"), e.Retryable, e);
        }

        var token = ExportTokens.New();
        var fileName = Path.GetFileName(copy.InstallPath);
        var now = ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime;
        var url = $"{BaseUrl(ctx)}{ExportDownload.PathPrefix}/{token}/{Uri.EscapeDataString(fileName)}";
        db.ImageExports.Add(new ImageExportEntity
        {
            TokenHash = ExportTokens.Hash(token), RefId = copy.Id, ImageUuid = imageUuid, BackupStorageUuid = bsUuid, FileName = fileName, CreateDate = now,
        });
        copy.ExportUrl = url.Replace(token, RedactedToken, StringComparison.Ordinal);
        copy.ExportMd5Sum = image.Md5Sum;
        copy.LastOpDate = now;
        await db.SaveChangesAsync(ct);
        return ApiReply.Of(new JsonObject { ["imageUrl"] = url, ["exportMd5Sum"] = image.Md5Sum });
    }

    private static async Task<ApiReply> DeleteAsync(ApiContext ctx)
    {
        var ct = ctx.CancellationToken;
        var bsUuid = ctx.Args.RequiredString("backupStorageUuid");
        var imageUuid = ctx.Args.RequiredString("imageUuid");
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        await db.ImageExports.Where(x => x.ImageUuid == imageUuid && x.BackupStorageUuid == bsUuid).ExecuteDeleteAsync(ct);
        var now = ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime;
        await db.ImageBackupStorageRefs.Where(r => r.ImageUuid == imageUuid && r.BackupStorageUuid == bsUuid && r.ExportUrl != null)
            .ExecuteUpdateAsync(s => s.SetProperty(r => r.ExportUrl, (string?)null).SetProperty(r => r.ExportMd5Sum, (string?)null)
                .SetProperty(r => r.LastOpDate, now).SetProperty(r => r.Version, r => r.Version + 1), ct);
        return ApiReply.Empty();
    }

    /// <summary>The configured public base, else this server's first listening address.</summary>
    private static string BaseUrl(ApiContext ctx)
    {
        var configured = ctx.Get<GlobalConfigStore>().Get(ExportConfigs.BaseUrl).Trim();
        if (configured.Length > 0)
        {
            return configured.TrimEnd('/');
        }

        var addresses = ctx.Services.GetService<IServer>()?.Features.Get<IServerAddressesFeature>()?.Addresses ?? [];
        return (addresses.FirstOrDefault() ?? "http://127.0.0.1:5000").TrimEnd('/');
    }
}
