using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Features.Images;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Verification;

/// <summary>
/// Replaces a Corrupted copy from a good copy of the same item on another backup storage, through the copy pipeline
/// (<see cref="ImageCopier"/> with <see cref="CopyJob.FromBackupStorage"/>): capacity is reserved, the new file is
/// written under the temporary name, verified against the item's recorded size and digests at the destination and
/// only then renamed over the bad one, so a failed repair leaves the Corrupted file as it was and no partial file.
/// A source is good when it is Ready on a Connected backup storage and verifies right now (a copy last verified Ok is
/// still re-read: a repair must not spread bad bytes). With none left the item is damaged: the copy stays Corrupted
/// and a repair-failed event says so.
/// </summary>
public sealed partial class CopyRepair(
    StowageDbContextFactory dbFactory,
    IServiceProvider services,
    BackupStorageEvents events,
    TimeProvider clock,
    ILogger<CopyRepair> logger)
{
    public async Task<(bool Repaired, string Reason)> RepairAsync(StoredCopyRef copy, string? jobUuid, CopyVerifier verifier, CancellationToken ct)
    {
        RecordedItem? item;
        List<string> connected;
        await using (var db = dbFactory.CreateDbContext())
        {
            item = await VerificationRows.LoadItemAsync(db, copy.Row.Table, copy.ItemUuid, ct);
            var others = item?.Copies.Where(c => c.Id != copy.Row.Id && c.Status == ImageStatus.Ready).Select(c => c.BsUuid).ToList() ?? [];
            connected = await db.BackupStorages.AsNoTracking().Where(b => others.Contains(b.Uuid) && b.Status == BackupStorageStatus.Connected)
                .Select(b => b.Uuid).ToListAsync(ct);
        }

        if (item is null)
        {
            return (false, "the item was deleted");
        }

        // Copies already verified Ok first: they are the likeliest to verify again.
        var candidates = item.Copies.Where(c => c.Id != copy.Row.Id && connected.Contains(c.BsUuid))
            .OrderBy(c => c.LastVerifyOutcome == VerificationRows.Ok ? 0 : 1).ThenBy(c => c.Id).ToList();
        var refused = new List<string>();
        foreach (var c in candidates)
        {
            var source = copy with { Row = new CopyRow(copy.Row.Table, c.Id), BsUuid = c.BsUuid, InstallPath = c.InstallPath };
            var check = await verifier.VerifyOnlyAsync(source, jobUuid, ct);
            if (check.Outcome != VerificationRows.Ok)
            {
                refused.Add($"backup storage[uuid:{c.BsUuid}]: {check.Outcome} ({check.Reason})");
                continue;
            }

            return await CopyFromAsync(copy, item, c, jobUuid, ct);
        }

        var reason = "damaged: no Ready, verified copy on another Connected backup storage to repair from"
            + (refused.Count > 0 ? "; " + string.Join("; ", refused) : string.Empty);
        await FailedAsync(copy, reason);
        return (false, reason);
    }

    private async Task<(bool, string)> CopyFromAsync(StoredCopyRef copy, RecordedItem item, StoredCopyState from, string? jobUuid, CancellationToken ct)
    {
        var job = new CopyJob(copy.ItemUuid, item.Name, copy.Row.Id, copy.BsUuid, ImageRules.StoredCopyUri(from.InstallPath),
            $"backup storage[uuid:{from.BsUuid}]", copy.InstallPath, item.Expect)
        {
            JobUuid = jobUuid,
            FromBackupStorage = new StoredSource(from.BsUuid, from.InstallPath),
            Table = copy.Row.Table,
            Noun = copy.Noun,
        };
        var result = await services.GetRequiredService<ImageCopier>().CopyAsync(job, ct);
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = dbFactory.CreateDbContext();
        if (result.Facts is null)
        {
            // The pipeline marked the row Error and removed its partial file; the bad file is still in place, so the copy is Corrupted still.
            var reason = $"the copy from backup storage[uuid:{from.BsUuid}] failed: {result.Error}";
            await copy.Row.SetStatusAsync(db, ImageStatus.Corrupted, "repair failed: " + result.Error, now);
            await FailedAsync(copy, reason);
            ct.ThrowIfCancellationRequested();
            return (false, reason);
        }

        // The destination verified the new file against the recorded digests before it took the place of the bad one.
        await VerificationRows.RecordAsync(db, copy.Row, ImageStatus.Ready, VerificationRows.Ok, null, now, now);
        var text = $"replaced from backup storage[uuid:{from.BsUuid}] and verified (sha256 {result.Facts.Sha256})";
        events.CopyRepaired(db, copy.BsUuid, copy.Item, text);
        await db.SaveChangesAsync(CancellationToken.None);
        if (copy.Row.Table == CopyTable.Image)
        {
            await services.GetRequiredService<ImageMetadataFile>().RefreshAsync([copy.BsUuid], CancellationToken.None);
        }

        LogRepaired(logger, copy.Item, copy.BsUuid, from.BsUuid);
        return (true, text);
    }

    private async Task FailedAsync(StoredCopyRef copy, string reason)
    {
        await using var db = dbFactory.CreateDbContext();
        events.CopyRepairFailed(db, copy.BsUuid, copy.Item, reason);
        await db.SaveChangesAsync(CancellationToken.None);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Item} on backup storage {Bs} repaired from backup storage {From}")]
    private static partial void LogRepaired(ILogger logger, string item, string bs, string from);
}
