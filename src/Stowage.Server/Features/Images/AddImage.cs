using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Resources;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.Common;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Images;

/// <summary>
/// AddImage: registers the image (status Downloading, one copy per backup storage), downloads every copy in
/// parallel, and answers the image. Copies that failed stay listed with status Error and the reason; when all
/// fail, the image and every trace of it are removed and the call fails with SYS.1002.
/// </summary>
public static class AddImage
{
    public const string DownloadMessage = "org.zstack.header.storage.backup.DownloadImageMsg";

    /// <summary>
    /// System tag of an image whose completeness nothing proved: the source announced no size and no checksum
    /// tag was given.
    /// </summary>
    public const string UnverifiedTag = "completeness::unverified";

    /// <summary>System tag pinning the host key of an sftp:// source, <c>sourceHostKey::SHA256:&lt;base64&gt;</c>.</summary>
    public const string SourceHostKeyPrefix = "sourceHostKey::";

    public static ApiDescriptor Api { get; } = new()
    {
        Name = "AddImage",
        Method = "POST",
        Path = "/images",
        BodyKey = "params",
        TakesTags = true,
        ResultClass = ImageRules.InventoryClass,
        Description = "Register an image from an http(s), file:///, sftp:// or upload:// url on one or more backup storages; a checksum::sha256::<hex> (or checksum::md5::<hex>) system tag is verified; sourceHostKey::SHA256:<fingerprint> pins an sftp source's host key",
        Timeout = TimeSpan.FromHours(72),
        LongJob = true,
        Params =
        [
            new("name") { Required = true, MaxLength = 255, EmptyString = false, Description = "image name" },
            new("description") { MaxLength = 2048, Description = "free text" },
            new("url") { Required = true, MaxLength = 1024, EmptyString = false, Description = "source of the image: http(s)://...; file:///path (a file on the backup storage host, outside its directory); sftp://user:password@host[:port]/path (read by Stowage, the password is never stored or shown); upload://<name> (one backup storage; the answer's backupStorageRefs[0].uploadUrl takes PUT)" },
            new("mediaType") { ValidValues = ImageRules.MediaTypes, Default = "RootVolumeTemplate", Description = "RootVolumeTemplate, DataVolumeTemplate or ISO" },
            new("guestOsType") { MaxLength = 255, Description = "guest OS" },
            new("architecture") { ValidValues = ImageRules.Architectures, Description = "CPU architecture" },
            new("system", ParamType.Bool) { Default = "false", Description = "system image" },
            new("format") { MaxLength = 64, Description = "qcow2, raw, iso...; the detected format wins" },
            new("platform") { ValidValues = ImageRules.Platforms, Description = "Linux, Windows, Other, Paravirtualization or WindowsVirtio" },
            new("type") { MaxLength = 64, Description = "image type (zstack)" },
            new("virtio", ParamType.Bool) { Default = "true", Description = "virtio drivers present" },
            ImageRules.BackupStorageUuids with { Description = "backup storages to download to (or give zoneUuid)" },
            ImageAllocator.ZoneUuid,
            new("resourceUuid") { Description = "uuid to give the new image (32 hex)" },
            new("tagUuids", ParamType.StringList) { Description = "accepted for SDK compatibility" },
        ],
        OwnerBackupStorage = a => a.List("backupStorageUuids") is [var first, ..] ? first : null,
        Handler = HandleAsync,
    };

    private static async Task<ApiReply> HandleAsync(ApiContext ctx)
    {
        var a = ctx.Args;
        var ct = ctx.CancellationToken;
        var url = a.RequiredString("url");
        var source = ImageRules.ParseSource(url);
        await CheckHostPathAsync(ctx, source, ct);
        var probe = await SourceProbe.RunAsync(ctx, source, ct);
        CheckMinimumSize(ctx, source, url, probe.Size);
        var expect = ImageRules.Expectations(ctx.SystemTags, probe.Size);
        var bsUuids = await ImageAllocator.TargetsAsync(ctx, source, probe.Size, ct);
        if (source.Scheme == "upload" && bsUuids.Count != 1)
        {
            throw ApiException.Argument($"url[{url}] uploads to exactly one backup storage, not {bsUuids.Count}");
        }
        var dbFactory = ctx.Get<StowageDbContextFactory>();
        var now = ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime;
        var mediaType = a.String("mediaType") ?? "RootVolumeTemplate";
        var account = ctx.Session?.AccountUuid ?? "admin";
        var name = a.RequiredString("name");
        var display = ImageRules.Redact(url);
        var (platform, architecture, guestOsType) = ImageRules.FillDefaults(mediaType, a.String("platform"), a.String("architecture"), a.String("guestOsType"));

        ImageEntity image;
        List<ImageBackupStorageRefEntity> refs;
        await using (var db = dbFactory.CreateDbContext())
        {
            var bss = CheckTargets(ctx, bsUuids, await db.BackupStorages.AsNoTracking().Where(b => bsUuids.Contains(b.Uuid)).ToListAsync(ct), source, url);

            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var uuid = await ResourceIndex.ClaimUuidAsync(db, a.String("resourceUuid"), ct);
            image = new ImageEntity
            {
                Uuid = uuid, Name = name, Description = a.String("description"), State = nameof(ResourceState.Enabled), Status = ImageStatus.Downloading,
                Url = display, MediaType = mediaType, GuestOsType = guestOsType, Type = a.String("type") ?? "zstack",
                Platform = platform, Architecture = architecture, Format = a.String("format"),
                System = a.Bool("system") ?? false, Virtio = a.Bool("virtio") ?? true, OwnerAccountUuid = account, CreateDate = now, LastOpDate = now,
            };
            refs = [.. bss.Select(bs => new ImageBackupStorageRefEntity
            {
                ImageUuid = uuid, BackupStorageUuid = bs.Uuid, InstallPath = ImageRules.InstallPath(bs.Url, mediaType, account, uuid, source),
                Status = ImageStatus.Downloading, CreateDate = now, LastOpDate = now, NodeId = ctx.Get<Hosting.NodeIdentity>().Id,
            })];
            ResourceIndex.Add(db, uuid, ImageRules.ResourceType, name, now, ctx.SystemTags, ctx.UserTags);
            db.Images.Add(image);
            db.ImageBackupStorageRefs.AddRange(refs);
            await ResourceIndex.SaveAsync(db, ct);
            await tx.CommitAsync(ct);
        }

        try
        {
            if (source.Scheme == "upload")
            {
                return await StartUploadAsync(ctx, image.Uuid, refs.Single(), expect);
            }

            var hostKey = ctx.SystemTags.FirstOrDefault(t => t.StartsWith(SourceHostKeyPrefix, StringComparison.Ordinal))?[SourceHostKeyPrefix.Length..];
            var copier = ctx.Get<ImageCopier>();
            var results = await Task.WhenAll(refs.Select(r => copier.CopyAsync(
                new CopyJob(image.Uuid, name, r.Id, r.BackupStorageUuid, probe.Url, display, r.InstallPath, expect, hostKey) { JobUuid = ctx.JobUuid }, ct)));
            await AddImageCancel.ThrowIfCancelledByUserAsync(ctx, image.Uuid, refs, results);
            var unverified = source.Scheme is "http" or "https" && expect is { Size: null, Md5: null, Sha256: null };
            return await FinishAsync(ctx, image, bsUuids, results, unverified);
        }
        catch (Exception e)
        {
            await AddImageCancel.SettleFailedAsync(ctx, image.Uuid, $"the job ended: {e.GetType().Name}");
            throw;
        }
    }

    /// <summary>An upload:// image stays Downloading; the answer carries the copy's upload url, shown only here.</summary>
    private static async Task<ApiReply> StartUploadAsync(ApiContext ctx, string imageUuid, ImageBackupStorageRefEntity copy, ImageExpectations expect)
    {
        var uploadUrl = await ctx.Get<ImageUploads>().CreateAsync(imageUuid, CopyRow.Image(copy.Id), copy.BackupStorageUuid, expect, ctx.CancellationToken);
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        var inventory = await ImageInventory.LoadOneAsync(db, imageUuid, CancellationToken.None);
        return (inventory with { BackupStorageRefs = [.. inventory.BackupStorageRefs.Select(r => r with { UploadUrl = uploadUrl })] }).Reply();
    }

    private static async Task<ApiReply> FinishAsync(ApiContext ctx, ImageEntity image, IReadOnlyList<string> bsUuids, CopyResult[] results, bool unverified)
    {
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        var row = await db.Images.FirstOrDefaultAsync(i => i.Uuid == image.Uuid, CancellationToken.None);
        if (row is null || (results.All(r => r.Facts is null) && results.Any(r => r.CancelledByDelete)))
        {
            throw ApiException.Operation($"image [uuid:{image.Uuid}] has been deleted");
        }

        var first = results.FirstOrDefault(r => r.Facts is not null)?.Facts;
        if (first is null)
        {
            await ImageRemoval.RemoveImageRowAsync(db, image.Uuid);
            var cause = Errors.Operr(results.Select(r => r.Error).FirstOrDefault(e => e is not null) ?? "no copy was made");
            throw new ApiException(Errors.Of(Errors.CreateResource, $"Failed to download image[name:{image.Name}] on all backup storage[{string.Join(", ", bsUuids)}].", cause));
        }

        ApplyFacts(row, first);
        row.LastOpDate = ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime;
        if (unverified)
        {
            // A source that closes early without having announced a length looks like a complete short file;
            // only a checksum tag proves completeness, so the image says that nothing did.
            db.Tags.Add(ResourceIndex.NewTag(image.Uuid, ImageRules.ResourceType, UnverifiedTag, "System", row.LastOpDate));
            ctx.Get<ILoggerFactory>().CreateLogger(typeof(AddImage)).LogUnverified(image.Uuid, first.ActualSize);
        }

        await ResourceIndex.SaveAsync(db, CancellationToken.None);
        await ctx.Get<ImageMetadataFile>().RefreshAsync(results.Where(r => r.Facts is not null).Select(r => r.BsUuid), CancellationToken.None);
        return (await ImageInventory.LoadOneAsync(db, image.Uuid, CancellationToken.None)).Reply();
    }

    /// <summary>The first good copy's facts become the image's; the media type follows the detected format (ZStack's fix-up).</summary>
    public static void ApplyFacts(ImageEntity row, ImageFileFacts first)
    {
        row.Size = first.VirtualSize;
        row.ActualSize = first.ActualSize;
        row.Md5Sum = first.Md5;
        row.Sha256Sum = first.Sha256;
        row.Format = first.Format;
        if (first.Format == "iso")
        {
            row.MediaType = "ISO";
        }
        else if (row.MediaType == "ISO" && first.Format == "qcow2")
        {
            row.MediaType = "RootVolumeTemplate";
        }

        if (row.Status == ImageStatus.Downloading)
        {
            row.Status = ImageStatus.Ready;
        }
    }

    /// <summary>
    /// The targets the add goes on with: as ZStack does, a backup storage that is Disabled or not Connected is skipped
    /// (and named in the log) while others are usable; only when none is usable does the add fail, with the first one's
    /// reason. A file:/// source inside any target's directory is refused.
    /// </summary>
    public static List<BackupStorageEntity> CheckTargets(ApiContext ctx, IReadOnlyList<string> order, IReadOnlyList<BackupStorageEntity> found, Uri source, string url)
    {
        var drivers = ctx.Get<BackupStorageDriverRegistry>();
        var bss = found.OrderBy(b => order.ToList().IndexOf(b.Uuid)).ToList();
        foreach (var bs in bss)
        {
            StorageRefusal.Require(drivers, bs, c => c.WritesFiles, "writing files");
            if (source.Scheme == "upload")
            {
                StorageRefusal.Require(drivers, bs, c => c.ResumableUpload, "uploads (upload://)");
            }

            if (source.IsFile)
            {
                StorageRefusal.Require(drivers, bs, c => c.CopiesHostFiles, "a file:/// source on its host");
            }

            // The host also refuses it after resolving symlinks; this catches the plain case with a clear SYS.1007.
            if (source.IsFile && SourceRules.DeniedHostPath(ImageRules.HostPath(source), [bs.Url]) is not null)
            {
                throw ApiException.Argument($"url[{url}] lies inside the directory of backup storage[uuid:{bs.Uuid}]; copy images between backup storages instead");
            }
        }

        var usable = bss.Where(b => b.State == nameof(ResourceState.Enabled) && b.Status == Storage.BackupStorageStatus.Connected).ToList();
        if (usable.Count == 0)
        {
            foreach (var bs in bss)
            {
                ImageRules.RequireEnabledAndConnected(bs, DownloadMessage);
            }
        }

        var logger = ctx.Get<ILoggerFactory>().CreateLogger("Stowage.Server.Features.Images.AddImage");
        foreach (var bs in bss.Except(usable))
        {
            TargetLog.Skipped(logger, ctx.Api.Name, ctx.JobUuid ?? "-", bs.Uuid, bs.Name, bs.State, bs.Status);
        }

        return usable;
    }

    /// <summary>A host file source (<c>file:///</c>, a bare path) on the deny list is refused before anything is created.</summary>
    public static Task CheckHostPathAsync(ApiContext ctx, Uri source, CancellationToken ct) =>
        source.IsFile
            ? HostPathDenyList.CheckAsync(ctx.Get<GlobalConfigs.GlobalConfigStore>(), ctx.Get<StowageDbContextFactory>(), ImageRules.HostPath(source), ct)
            : Task.CompletedTask;

    /// <summary>ZStack refuses an http(s) source announcing less than 1 MiB (<c>image/download.minimumSize</c>) as too small for an image.</summary>
    private static void CheckMinimumSize(ApiContext ctx, Uri source, string url, long? size)
    {
        var minimum = Core.Config.SizeString.TryParse(ctx.Get<GlobalConfigs.GlobalConfigStore>().Get(ImageConfigs.MinimumSize), out var m) ? m : 0;
        if (source.Scheme is "http" or "https" && size < minimum)
        {
            throw ApiException.Operation($"the image size get from url {ImageRules.Redact(url)} is {size} bytes, it's too small for an image, please check the url again.");
        }
    }
}

/// <summary>Log lines of AddImage.</summary>
internal static partial class AddImageLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "image {Image}: the source announced no size and no checksum tag was given; {Bytes} bytes were received and nothing proves they are the whole file (system tag completeness::unverified)")]
    public static partial void LogUnverified(this ILogger logger, string image, long bytes);
}

/// <summary>Log lines of the target choice of AddImage and the volume-archive adds.</summary>
internal static partial class TargetLog
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "{Api} job {JobUuid} skips backup storage {Bs} ({Name}): it is {State} and {Status}; the other backup storages go on")]
    public static partial void Skipped(ILogger logger, string api, string jobUuid, string bs, string name, string state, string status);
}
