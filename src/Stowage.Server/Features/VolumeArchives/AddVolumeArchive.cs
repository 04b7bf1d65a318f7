using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.Common;
using Stowage.Server.Features.Images;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.VolumeArchives;

/// <summary>
/// AddVolumeSnapshot and AddVolumeBackup: the same contract as AddImage (sources, checksum tags, backup
/// storages or a zone, one copy per backup storage through <see cref="ImageCopier"/>, capacity reserved while
/// writing, failed copies listed with status Error, nothing left when every copy fails), plus the volume
/// identity ZStack records: volumeUuid, and treeUuid/parentUuid for snapshots.
/// </summary>
public static partial class AddVolumeArchive
{
    [GeneratedRegex("^[0-9a-f]{32}$")]
    private static partial Regex Uuid();

    private static ParamSpec UuidField(string name, bool required, string description) =>
        new(name) { Required = required, Pattern = Uuid(), PatternText = "32 lowercase hex characters", Description = description };

    public static ApiDescriptor Api(VolumeArchiveKind kind) => new()
    {
        Name = "Add" + kind.ApiNoun,
        Method = "POST",
        Path = kind.Path,
        BodyKey = "params",
        TakesTags = true,
        ResultClass = kind.InventoryClass,
        Description = $"Store a {kind.Noun} from an http(s), file:/// or sftp:// url on one or more backup storages (under {kind.Folder}/); checksum::sha256::<hex> and sourceHostKey:: system tags as in AddImage",
        Timeout = TimeSpan.FromHours(72),
        LongJob = true,
        Params =
        [
            new("name") { Required = true, MaxLength = 255, EmptyString = false, Description = kind.Noun + " name" },
            new("description") { MaxLength = 2048, Description = "free text" },
            new("url") { Required = true, MaxLength = 1024, EmptyString = false, Description = "source: http(s)://...; file:///path (a file on the backup storage host); sftp://user:password@host[:port]/path; upload://<name> (one backup storage; the answer's backupStorageRefs[0].uploadUrl takes PUT, as for AddImage)" },
            UuidField("volumeUuid", true, "the volume the data was taken from"),
            .. kind.HasTree ? new[] { UuidField("treeUuid", false, "snapshot tree"), UuidField("parentUuid", false, "parent snapshot in the tree") } : [],
            new("format") { MaxLength = 64, Description = "qcow2, raw...; the detected format wins" },
            ImageRules.BackupStorageUuids with { Description = "backup storages to store it on (or give zoneUuid)" },
            ImageAllocator.ZoneUuid,
            new("resourceUuid") { Description = $"uuid to give the new {kind.Noun} (32 hex)" },
        ],
        OwnerBackupStorage = a => a.List("backupStorageUuids") is [var first, ..] ? first : null,
        Handler = ctx => HandleAsync(ctx, kind),
    };

    private static async Task<ApiReply> HandleAsync(ApiContext ctx, VolumeArchiveKind kind)
    {
        var a = ctx.Args;
        var ct = ctx.CancellationToken;
        var url = a.RequiredString("url");
        var source = ImageRules.ParseSource(url);
        await AddImage.CheckHostPathAsync(ctx, source, ct);
        var probe = await SourceProbe.RunAsync(ctx, source, ct);
        var expect = ImageRules.Expectations(ctx.SystemTags, probe.Size);
        var bsUuids = await ImageAllocator.TargetsAsync(ctx, source, probe.Size, ct);
        if (source.Scheme == "upload" && bsUuids.Count != 1)
        {
            throw ApiException.Argument($"url[{url}] uploads to exactly one backup storage, not {bsUuids.Count}");
        }
        var now = ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime;
        var account = ctx.Session?.AccountUuid ?? "admin";
        var name = a.RequiredString("name");
        var display = ImageRules.Redact(url);

        VolumeArchiveEntity row;
        List<VolumeArchiveRefEntity> refs;
        await using (var db = ctx.Get<StowageDbContextFactory>().CreateDbContext())
        {
            var bss = AddImage.CheckTargets(ctx, bsUuids, await db.BackupStorages.AsNoTracking().Where(b => bsUuids.Contains(b.Uuid)).ToListAsync(ct), source, url);
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var uuid = await ResourceIndex.ClaimUuidAsync(db, a.String("resourceUuid"), ct);
            row = new VolumeArchiveEntity
            {
                Uuid = uuid, Kind = kind.Kind, Name = name, Description = a.String("description"), VolumeUuid = a.RequiredString("volumeUuid"),
                TreeUuid = a.String("treeUuid"), ParentUuid = a.String("parentUuid"), Status = ImageStatus.Downloading, Format = a.String("format"),
                Url = display, OwnerAccountUuid = account, CreateDate = now, LastOpDate = now,
            };
            refs = [.. bss.Select(bs => new VolumeArchiveRefEntity
            {
                ArchiveUuid = uuid, BackupStorageUuid = bs.Uuid, InstallPath = kind.InstallPath(bs.Url, account, uuid),
                Status = ImageStatus.Downloading, CreateDate = now, LastOpDate = now, NodeId = ctx.Get<Hosting.NodeIdentity>().Id,
            })];
            ResourceIndex.Add(db, uuid, kind.ResourceType, name, now, ctx.SystemTags, ctx.UserTags);
            db.VolumeArchives.Add(row);
            db.VolumeArchiveRefs.AddRange(refs);
            await ResourceIndex.SaveAsync(db, ct);
            await tx.CommitAsync(ct);
        }

        try
        {
            if (source.Scheme == "upload")
            {
                return await StartUploadAsync(ctx, kind, row.Uuid, refs.Single(), expect);
            }

            var hostKey = ctx.SystemTags.FirstOrDefault(t => t.StartsWith(AddImage.SourceHostKeyPrefix, StringComparison.Ordinal))?[AddImage.SourceHostKeyPrefix.Length..];
            var copier = ctx.Get<ImageCopier>();
            var results = await Task.WhenAll(refs.Select(r => copier.CopyAsync(
                new CopyJob(row.Uuid, name, r.Id, r.BackupStorageUuid, probe.Url, display, r.InstallPath, expect, hostKey)
                {
                    JobUuid = ctx.JobUuid, Table = CopyTable.VolumeArchive, Noun = kind.Noun,
                }, ct)));
            return await FinishAsync(ctx, kind, row, bsUuids, refs, results);
        }
        catch (Exception e)
        {
            await ctx.Get<VolumeArchiveRemoval>().SettleFailedAsync(row.Uuid, $"the job ended: {e.GetType().Name}", ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime);
            throw;
        }
    }

    /// <summary>An upload:// item stays Downloading; the answer carries the copy's upload url, shown only here.</summary>
    private static async Task<ApiReply> StartUploadAsync(ApiContext ctx, VolumeArchiveKind kind, string uuid, VolumeArchiveRefEntity copy, ImageExpectations expect)
    {
        var uploadUrl = await ctx.Get<ImageUploads>().CreateAsync(uuid, new CopyRow(CopyTable.VolumeArchive, copy.Id), copy.BackupStorageUuid, expect, ctx.CancellationToken);
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        var inventory = (await VolumeArchiveInventory.LoadAsync(db, kind, [uuid], CancellationToken.None)).Single();
        return (inventory with { BackupStorageRefs = [.. inventory.BackupStorageRefs.Select(r => r with { UploadUrl = uploadUrl })] }).Reply();
    }

    private static async Task<ApiReply> FinishAsync(
        ApiContext ctx, VolumeArchiveKind kind, VolumeArchiveEntity row, IReadOnlyList<string> bsUuids, List<VolumeArchiveRefEntity> refs, CopyResult[] results)
    {
        var removal = ctx.Get<VolumeArchiveRemoval>();
        var first = results.FirstOrDefault(r => r.Facts is not null)?.Facts;
        if (results.Any(r => r.CancelledByUser))
        {
            // The user asked for nothing: copies that completed before the cancel go too.
            foreach (var copy in refs.Where(c => results.Any(r => r.Facts is not null && r.BsUuid == c.BackupStorageUuid)))
            {
                await removal.DeleteBitsAsync(copy, null, CancellationToken.None);
            }

            await removal.RemoveRowAsync(row.Uuid);
            throw new ApiException(Errors.Operr($"the download of {kind.Noun}[uuid:{row.Uuid}] was cancelled by the user; it and its files were removed"));
        }

        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        var current = await db.VolumeArchives.FirstOrDefaultAsync(x => x.Uuid == row.Uuid, CancellationToken.None);
        if (current is null || (first is null && results.Any(r => r.CancelledByDelete)))
        {
            throw ApiException.Operation($"{kind.Noun} [uuid:{row.Uuid}] has been deleted");
        }

        if (first is null)
        {
            await removal.RemoveRowAsync(row.Uuid);
            var cause = Errors.Operr(results.Select(r => r.Error).FirstOrDefault(e => e is not null) ?? "no copy was made");
            throw new ApiException(Errors.Of(Errors.CreateResource, $"Failed to download {kind.Noun}[name:{row.Name}] on all backup storage[{string.Join(", ", bsUuids)}].", cause));
        }

        ApplyFacts(current, first, ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime);
        await ResourceIndex.SaveAsync(db, CancellationToken.None);
        return (await VolumeArchiveInventory.LoadAsync(db, kind, [row.Uuid], CancellationToken.None)).Single().Reply();
    }

    /// <summary>What the host found about the written file becomes the item's size, digests and format; it is Ready.</summary>
    public static void ApplyFacts(VolumeArchiveEntity archive, ImageFileFacts facts, DateTime now)
    {
        archive.Size = facts.VirtualSize;
        archive.ActualSize = facts.ActualSize;
        archive.Md5Sum = facts.Md5;
        archive.Sha256Sum = facts.Sha256;
        archive.Format = facts.Format;
        archive.Status = ImageStatus.Ready;
        archive.LastOpDate = now;
    }
}
