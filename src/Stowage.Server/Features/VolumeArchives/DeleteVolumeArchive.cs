using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.Common;
using Stowage.Server.Features.Images;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.VolumeArchives;

/// <summary>
/// DeleteVolumeSnapshot and DeleteVolumeBackup, from every backup storage or the given ones. A copy being
/// written is cancelled (its partial file goes with the transfer) and dropped; a complete copy's files are
/// removed at once (there is no deletion policy: nothing can be recovered from a deleted backup). When the
/// host cannot remove them, the copy goes all the same and the removal is queued (<see cref="StorageGc"/>) until it succeeds.
/// </summary>
public static class DeleteVolumeArchive
{
    public static ApiDescriptor Api(VolumeArchiveKind kind) => new()
    {
        Name = "Delete" + kind.ApiNoun,
        Method = "DELETE",
        Path = kind.Path + "/{uuid}",
        Description = $"Delete a {kind.Noun} (optionally only its copies on some backup storages); its files are removed",
        Params = [kind.UuidParam() with { SuccessIfMissing = true }, ImageRules.BackupStorageUuids, CommonParams.DeleteMode],
        SerialKey = a => "volume-archive-" + a.String("uuid"),
        Handler = ctx => HandleAsync(ctx, kind),
    };

    private static async Task<ApiReply> HandleAsync(ApiContext ctx, VolumeArchiveKind kind)
    {
        var uuid = ctx.Args.RequiredString("uuid");
        var only = ctx.Args.List("backupStorageUuids");
        await ctx.Get<TransferRegistry>().CancelAsync(k => k.Image == uuid && (only is null || only.Contains(k.Bs)), TimeSpan.FromSeconds(60));

        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        var copies = await db.VolumeArchiveRefs.AsNoTracking()
            .Where(r => r.ArchiveUuid == uuid && (only == null || only.Contains(r.BackupStorageUuid))).ToListAsync(ctx.CancellationToken);
        var gc = ctx.Get<StorageGc>();
        foreach (var copy in copies)
        {
            // The copy leaves at once; files the host cannot remove now are queued and removed on a retry.
            if (ImageStatus.HoldsFile(copy.Status))
            {
                await gc.RemoveOrQueueAsync(kind.ResourceType, copy.ArchiveUuid, copy.BackupStorageUuid, copy.InstallPath, null, ctx.CancellationToken);
            }

            await db.VolumeArchiveRefs.Where(r => r.Id == copy.Id).ExecuteDeleteAsync(CancellationToken.None);
        }

        await VolumeArchiveRemoval.SettleAsync(db, uuid);
        return ApiReply.Empty();
    }

    /// <summary>Removes the copies (files of complete ones first) and answers the backup storages whose files stayed and whose copy was kept.</summary>
    public static async Task<List<string>> RemoveCopiesAsync(
        StowageDbContext db, VolumeArchiveRemoval removal, IReadOnlyList<VolumeArchiveRefEntity> copies, bool enforcing, CancellationToken ct)
    {
        var left = new List<string>();
        foreach (var copy in copies)
        {
            if (ImageStatus.HoldsFile(copy.Status) && !await removal.DeleteBitsAsync(copy, null, ct) && !enforcing)
            {
                left.Add(copy.BackupStorageUuid);
                continue;
            }

            await db.VolumeArchiveRefs.Where(r => r.Id == copy.Id).ExecuteDeleteAsync(CancellationToken.None);
        }

        return left;
    }
}
