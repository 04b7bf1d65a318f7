using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Resources;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.Common;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Images;

/// <summary>An image line of the metadata file that was not registered, and why.</summary>
public sealed record SkippedImage(int Line, string? Uuid, string Reason);

public sealed record ImportReport(IReadOnlyList<string> Imported, IReadOnlyList<SkippedImage> Skipped);

/// <summary>
/// <c>importImages=true</c> on a type's Add…BackupStorage (§11.6): registers the images of <c>bs_sftp_info.json</c>
/// found in the directory. Only lines of status Ready with a copy are taken; the copy's install path is
/// re-rooted at this url (the directory may have moved) and the file must be there with the recorded
/// <c>actualSize</c>. An image whose uuid is known gets a copy on this backup storage; a free uuid is kept;
/// a uuid used by another kind of resource gets a new one. Everything not registered is reported.
/// </summary>
public sealed partial class ImageImporter(StowageDbContextFactory dbFactory, TimeProvider clock, ILogger<ImageImporter> logger)
{
    public async Task<ImportReport> ImportAsync(BackupStorageEntity bs, IStorageHousekeeping housekeeping, BackupStorageTarget target, string accountUuid, CancellationToken ct)
    {
        var imported = new List<string>();
        var skipped = new List<SkippedImage>();
        var content = await housekeeping.ReadMetadataAsync(target, ct);
        if (content is null)
        {
            // A fresh directory has nothing to import: said in the answer, and not a warning in the log.
            skipped.Add(new SkippedImage(0, null, $"there is no bs_sftp_info.json in {bs.Url}"));
            LogNoMetadata(logger, bs.Uuid, bs.Url);
            return new ImportReport(imported, skipped);
        }

        var files = (await housekeeping.ListImageFilesAsync(target, ct)).ToDictionary(f => f.RelativePath, f => f.Size, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        var lines = content.Split('\n');
        for (var i = 0; i < lines.Length; i++)
        {
            if (string.IsNullOrWhiteSpace(lines[i]))
            {
                continue;
            }

            JsonNode? node = null;
            string? uuid = null;
            try
            {
                node = JsonNode.Parse(lines[i]);
                uuid = node?["uuid"]?.GetValue<string>();
            }
            catch (Exception e) when (e is JsonException or InvalidOperationException or FormatException)
            {
                // Reported below as an unreadable line.
            }

            string? why;
            try
            {
                why = node is null || uuid is null ? "not an image inventory (JSON object with a uuid)"
                    : !seen.Add(uuid) ? "duplicate uuid in the file (the first line wins)"
                    : await RegisterAsync(bs, node, uuid, files, accountUuid, ct);
            }
            catch (Exception e) when (e is InvalidOperationException or FormatException)
            {
                why = "a field has the wrong type: " + e.Message;
            }

            if (why is null)
            {
                imported.Add(uuid!);
            }
            else
            {
                skipped.Add(new SkippedImage(i + 1, uuid, why));
            }
        }

        return Report(bs.Uuid, imported, skipped);
    }

    /// <summary>Runs the import of a just added backup storage and adds its report to the add's reply; never fails the add.</summary>
    public static async Task AddToReplyAsync(ApiContext ctx, BackupStorageEntity bs, BackupStorageTarget target, ApiReply reply, CancellationToken ct)
    {
        var housekeeping = ctx.Get<BackupStorageConnector>().Drivers.Get(bs.Type) as IStorageHousekeeping;
        ImportReport report;
        try
        {
            report = housekeeping is null ? new ImportReport([], [new SkippedImage(0, null, $"backup storage type {bs.Type} cannot import images")])
                : await ctx.Get<ImageImporter>().ImportAsync(bs, housekeeping, target, ctx.Session?.AccountUuid ?? "admin", ct);
        }
        catch (StorageException e)
        {
            report = new ImportReport([], [new SkippedImage(0, null, "reading the image metadata failed: " + e.Message)]);
        }

        reply.Body["importedImageUuids"] = new JsonArray([.. report.Imported.Select(u => JsonValue.Create(u))]);
        reply.Body["skippedImages"] = JsonSerializer.SerializeToNode(report.Skipped, ZStackJson.Options);
    }

    private async Task<string?> RegisterAsync(BackupStorageEntity bs, JsonNode node, string uuid, Dictionary<string, long> files, string accountUuid, CancellationToken ct)
    {
        if (Text(node, "status") != ImageStatus.Ready)
        {
            return $"status is {Text(node, "status")}, not Ready";
        }

        var recorded = node["backupStorageRefs"] is JsonArray refs && refs.Count > 0 ? Text(refs[0]!, "installPath") : null;
        var rel = recorded is null ? null : Rebase(recorded);
        if (rel is null)
        {
            return $"no usable install path ({recorded ?? "none"})";
        }

        var actualSize = node["actualSize"]?.GetValue<long>() ?? 0;
        if (!files.TryGetValue(rel, out var size))
        {
            return $"the file {bs.Url.TrimEnd('/')}/{rel} does not exist";
        }

        if (actualSize > 0 && size != actualSize)
        {
            return $"the file {bs.Url.TrimEnd('/')}/{rel} has {size} bytes, not the recorded {actualSize}";
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var installPath = bs.Url.TrimEnd('/') + "/" + rel;
        await using var db = dbFactory.CreateDbContext();
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var id = uuid;
        if (await db.Images.AnyAsync(x => x.Uuid == uuid, ct))
        {
            if (await db.ImageBackupStorageRefs.AnyAsync(r => r.ImageUuid == uuid && r.BackupStorageUuid == bs.Uuid, ct))
            {
                return "already registered on this backup storage";
            }
        }
        else
        {
            if (uuid.Length != 32 || !uuid.All(char.IsAsciiHexDigitLower) || await db.Resources.AnyAsync(r => r.Uuid == uuid, ct))
            {
                id = ResourceUuid.New();
            }

            var name = Text(node, "name") ?? id;
            db.Images.Add(new ImageEntity
            {
                Uuid = id, Name = name, Description = Text(node, "description"), State = Text(node, "state") ?? nameof(ResourceState.Enabled), Status = ImageStatus.Ready,
                Size = node["size"]?.GetValue<long>() ?? actualSize, ActualSize = actualSize, Md5Sum = Text(node, "md5Sum"), Sha256Sum = Text(node, "sha256Sum"),
                Url = Text(node, "url") ?? installPath, MediaType = Text(node, "mediaType") ?? "RootVolumeTemplate", GuestOsType = Text(node, "guestOsType"),
                Type = Text(node, "type") ?? "zstack", Platform = Text(node, "platform"), Architecture = Text(node, "architecture"), Format = Text(node, "format"),
                System = node["system"]?.GetValue<bool>() ?? false, Virtio = node["virtio"]?.GetValue<bool>() ?? true, OwnerAccountUuid = accountUuid,
                CreateDate = now, LastOpDate = now,
            });
            ResourceIndex.Add(db, id, ImageRules.ResourceType, name, now, [], []);
        }

        db.ImageBackupStorageRefs.Add(new ImageBackupStorageRefEntity
        {
            ImageUuid = id, BackupStorageUuid = bs.Uuid, InstallPath = installPath, Status = ImageStatus.Ready, CreateDate = now, LastOpDate = now,
        });
        await ResourceIndex.SaveAsync(db, ct);
        await tx.CommitAsync(ct);
        return null;
    }

    /// <summary><c>…/&lt;root&gt;/acct-x/&lt;image&gt;/&lt;file&gt;</c> → that tail, relative to this url; null when the path has no such tail.</summary>
    private static string? Rebase(string installPath)
    {
        var parts = installPath.Split('/');
        for (var i = parts.Length - 4; i >= 0; i--)
        {
            var rel = string.Join('/', parts[i..]);
            if (IStorageHousekeeping.ImageRoots.Contains(parts[i]) && IStorageHousekeeping.IsSafeImagePath(rel))
            {
                return rel;
            }
        }

        return null;
    }

    private static string? Text(JsonNode node, string name) => node[name] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    private ImportReport Report(string bsUuid, List<string> imported, List<SkippedImage> skipped)
    {
        foreach (var s in skipped)
        {
            LogSkipped(logger, bsUuid, s.Line, s.Uuid ?? "-", s.Reason);
        }

        LogImported(logger, bsUuid, imported.Count, skipped.Count);
        return new ImportReport(imported, skipped);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "backup storage {Bs}: image metadata line {Line} (image {Image}) not imported: {Reason}")]
    private static partial void LogSkipped(ILogger logger, string bs, int line, string image, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "backup storage {Bs}: no bs_sftp_info.json in {Url}, no image to import")]
    private static partial void LogNoMetadata(ILogger logger, string bs, string url);

    [LoggerMessage(Level = LogLevel.Information, Message = "backup storage {Bs}: imported {Imported} images from bs_sftp_info.json, skipped {Skipped}")]
    private static partial void LogImported(ILogger logger, string bs, int imported, int skipped);
}
