using Microsoft.EntityFrameworkCore;
using Stowage.Core.Config;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Server.Features.GlobalConfigs;
using Stowage.Server.Features.Images;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Verification;

/// <summary>What verifying one copy found, and what its repair did (null: no repair was tried).</summary>
public sealed record CopyVerdict(StoredCopyRef Copy, string Outcome, string? Reason, string? Repair = null, string? RepairReason = null);

/// <summary>
/// Verifies one stored copy where its bytes are (<see cref="IStoredFileVerifier"/>) against the item's recorded
/// size, md5 and sha256. A mismatch, a missing file or a changed size marks the copy <c>Corrupted</c> with the reason
/// (an event, the metadata file rewritten without it); a copy that reads back right is <c>Ready</c> (again). A failed
/// read (storage unreachable, cannot read) changes nothing but <c>lastVerifyOutcome</c>. The verification runs as a
/// transfer of <see cref="TransferRegistry"/>: task progress shows it, a job cancel or a delete stops it, and two
/// never run on one copy at once. At most <c>backupStorage/verify.concurrency</c> run per backup storage.
/// </summary>
public sealed partial class CopyVerifier(
    StowageDbContextFactory dbFactory,
    BackupStorageConnector connector,
    TransferRegistry transfers,
    GlobalConfigStore configs,
    BackupStorageEvents events,
    VerificationGate gate,
    CopyRepair repair,
    IServiceProvider services,
    TimeProvider clock,
    ILogger<CopyVerifier> logger)
{
    /// <summary>Verifies the copy, then, when it is Corrupted and <paramref name="repairIfCorrupted"/>, repairs it.</summary>
    public async Task<CopyVerdict> VerifyAsync(StoredCopyRef copy, string? jobUuid, bool repairIfCorrupted, CancellationToken ct)
    {
        var verdict = await VerifyOnlyAsync(copy, jobUuid, ct);
        if (verdict.Outcome != VerificationRows.Corrupted || !repairIfCorrupted)
        {
            return verdict;
        }

        var (done, reason) = await repair.RepairAsync(copy, jobUuid, this, ct);
        return verdict with { Repair = done ? "Repaired" : "Failed", RepairReason = reason };
    }

    /// <summary>Verifies without repairing (also used by repair to prove its source good).</summary>
    public async Task<CopyVerdict> VerifyOnlyAsync(StoredCopyRef copy, string? jobUuid, CancellationToken ct)
    {
        RecordedItem? item;
        Persistence.Entities.BackupStorageEntity? bs;
        await using (var db = dbFactory.CreateDbContext())
        {
            item = await VerificationRows.LoadItemAsync(db, copy.Row.Table, copy.ItemUuid, ct);
            bs = await db.BackupStorages.AsNoTracking().FirstOrDefaultAsync(b => b.Uuid == copy.BsUuid, ct);
        }

        var state = item?.Copies.FirstOrDefault(c => c.Id == copy.Row.Id);
        if (item is null || bs is null || state is null || state.Status is not (ImageStatus.Ready or ImageStatus.Corrupted))
        {
            return new CopyVerdict(copy, "Skipped", $"the copy is {state?.Status ?? "gone"}; only Ready and Corrupted copies are verified");
        }

        if (bs.Status != BackupStorageStatus.Connected)
        {
            return await FailedAsync(copy, $"backup storage[uuid:{bs.Uuid}] is {bs.Status}");
        }

        var driver = connector.Drivers.Get(bs.Type);
        if (driver is not IStoredFileVerifier verifier || !driver.Capabilities.VerifiesStoredFiles)
        {
            return await FailedAsync(copy, $"backup storage type {bs.Type} cannot verify stored copies");
        }

        if (transfers.IsRunning(copy.ItemUuid, copy.BsUuid))
        {
            return new CopyVerdict(copy, "Skipped", "a transfer or another verification of this copy is running");
        }

        using var slot = await gate.EnterAsync(copy.BsUuid, () => (int)configs.GetLong(VerificationConfigs.Concurrency), ct);
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var entry = transfers.Start(copy.ItemUuid, copy.BsUuid, cts, jobUuid);
        entry.Total = item.Expect.Size;
        StoredFileCheck check;
        BackupStorageTarget target;
        try
        {
            await using (var db = dbFactory.CreateDbContext())
            {
                target = await connector.LoadTargetAsync(db, bs, cts.Token);
            }

            var progress = new Progress<TransferProgress>(p => entry.BytesDone = p.BytesDone);
            check = await verifier.VerifyStoredFileAsync(target, copy.InstallPath, RateLimit, progress, cts.Token);
            if (check.Missing)
            {
                // A missing file only means a missing file when the storage itself is there: an unmounted
                // filesystem or a wiped directory fails the ping (marker gone) and corrupts nothing.
                await driver.PingAsync(target, cts.Token);
            }

            entry.Complete(check.Size);
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            LogCancelled(logger, copy.Item, copy.BsUuid);
            throw new OperationCanceledException(entry.CancelledByDelete ? "the copy was deleted" : "the verification was cancelled", null, ct);
        }
        catch (StorageException e)
        {
            return await FailedAsync(copy, e.Message);
        }
        finally
        {
            transfers.Finish(copy.ItemUuid, copy.BsUuid, entry);
        }

        var problem = Compare(check, item.Expect);
        return await RecordAsync(copy, state.Status, problem, check);
    }

    /// <summary>Why the bytes read back differ from the recorded ones, or null when they match.</summary>
    internal static string? Compare(StoredFileCheck check, ImageExpectations expect)
    {
        if (check.Missing)
        {
            return "the file is missing";
        }

        if (check.Unreadable is { } unreadable)
        {
            return unreadable;
        }

        if (expect.Size is > 0 and var size && check.Size != size)
        {
            return $"the size changed: the file has {check.Size} bytes, {size} were recorded";
        }

        if (!string.IsNullOrEmpty(expect.Md5) && !string.Equals(check.Md5, expect.Md5, StringComparison.OrdinalIgnoreCase))
        {
            return $"md5 mismatch: the file has {check.Md5}, {expect.Md5} was recorded";
        }

        return !string.IsNullOrEmpty(expect.Sha256) && !string.Equals(check.Sha256, expect.Sha256, StringComparison.OrdinalIgnoreCase)
            ? $"sha256 mismatch: the file has {check.Sha256}, {expect.Sha256} was recorded"
            : null;
    }

    private long RateLimit() => SizeString.TryParse(configs.Get(VerificationConfigs.RateLimit), out var r) ? r : 0;

    private async Task<CopyVerdict> RecordAsync(StoredCopyRef copy, string statusBefore, string? problem, StoredFileCheck check)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = dbFactory.CreateDbContext();
        var status = problem is null ? ImageStatus.Ready : ImageStatus.Corrupted;
        var before = await VerificationRows.RecordAsync(db, copy.Row, status, problem is null ? VerificationRows.Ok : VerificationRows.Corrupted, problem, now, now);
        if (before is null)
        {
            return new CopyVerdict(copy, "Skipped", "the copy was deleted or rewritten during the verification");
        }

        if (problem is null)
        {
            LogOk(logger, copy.Item, copy.BsUuid, check.Size, check.Throttle);
            if (before == ImageStatus.Corrupted && copy.Row.Table == CopyTable.Image)
            {
                await services.GetRequiredService<ImageMetadataFile>().RefreshAsync([copy.BsUuid], CancellationToken.None);
            }

            return new CopyVerdict(copy, VerificationRows.Ok, null);
        }

        if (before == ImageStatus.Ready || statusBefore == ImageStatus.Ready)
        {
            events.CopyCorrupted(db, copy.BsUuid, copy.Item, ImageStatus.Ready, problem);
            await db.SaveChangesAsync(CancellationToken.None);
            if (copy.Row.Table == CopyTable.Image)
            {
                // The metadata file lists Ready copies only: a re-import must not bring a Corrupted one back as Ready.
                await services.GetRequiredService<ImageMetadataFile>().RefreshAsync([copy.BsUuid], CancellationToken.None);
            }
        }

        return new CopyVerdict(copy, VerificationRows.Corrupted, problem);
    }

    private async Task<CopyVerdict> FailedAsync(StoredCopyRef copy, string reason)
    {
        await using var db = dbFactory.CreateDbContext();
        await VerificationRows.RecordAsync(db, copy.Row, null, VerificationRows.Failed, null, null, clock.GetUtcNow().UtcDateTime);
        LogFailed(logger, copy.Item, copy.BsUuid, reason);
        return new CopyVerdict(copy, VerificationRows.Failed, reason);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "{Item} on backup storage {Bs} verified: {Size} bytes, digests match (throttle: {Throttle})")]
    private static partial void LogOk(ILogger logger, string item, string bs, long size, string throttle);

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Item} on backup storage {Bs} could not be verified: {Reason}")]
    private static partial void LogFailed(ILogger logger, string item, string bs, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "verification of {Item} on backup storage {Bs} was cancelled")]
    private static partial void LogCancelled(ILogger logger, string item, string bs);
}
