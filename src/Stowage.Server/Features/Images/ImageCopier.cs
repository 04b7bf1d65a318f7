using System.Net.Http.Headers;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Server.Features.GlobalConfigs;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Images;

/// <summary>One copy of an image (or a volume snapshot or backup: <see cref="Table"/>, <see cref="Noun"/>) to one backup storage.</summary>
public sealed record CopyJob(string ImageUuid, string ImageName, long RefId, string BsUuid, Uri Source, string DisplayUrl, string InstallPath, ImageExpectations Expect, string? SourceHostKey = null)
{
    /// <summary>The async API job running the copy: task progress and job cancel find the transfer by it.</summary>
    public string? JobUuid { get; init; }

    /// <summary>
    /// Set when the source is a ready copy on another backup storage (then <see cref="Source"/> only names it):
    /// the destination host pulls it, or Stowage streams it, and <see cref="Expect"/> holds its recorded digests.
    /// </summary>
    public StoredSource? FromBackupStorage { get; init; }

    /// <summary>Where the copy row is: reservation and outcome are written there.</summary>
    public CopyTable Table { get; init; } = CopyTable.Image;

    /// <summary>What is copied, as errors name it (<c>image</c>, <c>volume snapshot</c>...).</summary>
    public string Noun { get; init; } = "image";

    public CopyRow Row => new(Table, RefId);
}

/// <summary>A ready copy on backup storage <paramref name="BsUuid"/> at <paramref name="InstallPath"/>.</summary>
public sealed record StoredSource(string BsUuid, string InstallPath);

public sealed record CopyResult(string BsUuid, ImageFileFacts? Facts, string? Error, bool CancelledByDelete = false, bool CancelledByUser = false);

/// <summary>
/// Runs one copy: reserve capacity, let the host pull the source (or stream it through Stowage when the
/// host cannot), record the copy's outcome, and give the reservation back whatever happened.
/// </summary>
public sealed partial class ImageCopier(
    StowageDbContextFactory dbFactory,
    BackupStorageConnector connector,
    BackupStorageCapacity capacity,
    TransferRegistry transfers,
    GlobalConfigStore configs,
    BackupStorageCopies peers,
    IEnumerable<IImageSourceOpener> sources,
    IHttpClientFactory httpFactory,
    IServiceProvider services,
    TimeProvider clock,
    ILogger<ImageCopier> logger)
{
    public const string HttpClientName = "image-source";
    public const string InsecureHttpClientName = "image-source-insecure";

    public async Task<CopyResult> CopyAsync(CopyJob job, CancellationToken cancellationToken)
    {
        using var watch = new StallWatch(configs, clock, cancellationToken) { Total = job.Expect.Size };
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, watch.Token);
        var entry = transfers.Start(job.ImageUuid, job.BsUuid, cts, job.JobUuid, job.FromBackupStorage is null ? job.Source.Scheme : "copy");
        entry.Total = job.Expect.Size;
        BackupStorageTarget? target = null;
        IBackupStorageDriver? driver = null;
        var reserved = false;
        var bsName = job.BsUuid;
        string error;
        try
        {
            await using (var db = dbFactory.CreateDbContext())
            {
                var bs = await db.BackupStorages.AsNoTracking().FirstAsync(b => b.Uuid == job.BsUuid, cts.Token);
                target = await connector.LoadTargetAsync(db, bs, cts.Token);
                bsName = bs.Name;
                driver = connector.Drivers.Get(bs.Type);
                await capacity.ReserveAsync(driver, target, bs.Name, job.Row, job.Expect.Size ?? 0, $"{job.Noun}[{job.ImageName}]", cts.Token);
                reserved = true;
            }

            var progress = new Progress<TransferProgress>(p =>
            {
                entry.BytesDone = p.BytesDone;
                watch.Report(p.BytesDone);
            });
            var facts = job.FromBackupStorage is { } stored
                ? await peers.CopyAsync(driver, target, job, stored, progress, cts.Token)
                : await FromUrlAsync(driver, target, bsName, job, watch, progress, cts.Token);
            entry.Complete(facts.ActualSize);
            await SetRefAsync(job.Row, ImageStatus.Ready, null);
            return new CopyResult(job.BsUuid, facts, null);
        }
        catch (OperationCanceledException) when (watch.StalledAfter > 0 && !cancellationToken.IsCancellationRequested && !entry.CancelledByDelete && !entry.CancelledByUser)
        {
            error = $"the source sent no data for {watch.StalledAfter} s (global config image/download.stallTimeout); the download was stopped";
        }
        catch (OperationCanceledException) when (cts.IsCancellationRequested)
        {
            error = entry.CancelledByDelete ? "the download was cancelled because the image was deleted"
                : entry.CancelledByUser ? "cancelled by the user" : "the download was cancelled";
        }
        catch (StorageException e)
        {
            error = e.Message;
        }
        catch (ApiException e)
        {
            error = e.Error.Details ?? e.Message;
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Not a failure the copy expects: still a final state for the copy, and the stack trace for the log.
            LogUnexpected(logger, e, job.ImageUuid, job.BsUuid);
            error = $"unexpected error ({e.GetType().Name})";
        }
        finally
        {
            if (reserved)
            {
                await capacity.ReleaseAsync(driver!, target!, job.Row);
            }

            transfers.Finish(job.ImageUuid, job.BsUuid, entry);
        }

        var text = job.FromBackupStorage is { } from
            ? $"failed to copy {job.Noun}[uuid: {job.ImageUuid}] from backup storage[uuid: {from.BsUuid}] to backup storage[uuid: {job.BsUuid}], because: {error}"
            : $"failed to download {job.Noun}[url: {job.DisplayUrl}] on backup storage[uuid: {job.BsUuid}], because: {error}";
        LogCopyFailed(logger, job.ImageUuid, job.BsUuid, text);
        await SetRefAsync(job.Row, ImageStatus.Error, text);
        return new CopyResult(job.BsUuid, null, text, entry.CancelledByDelete, entry.CancelledByUser);
    }

    private Task<ImageFileFacts> FromUrlAsync(
        IBackupStorageDriver driver, BackupStorageTarget target, string bsName, CopyJob job, StallWatch watch, IProgress<TransferProgress> progress, CancellationToken ct) =>
        job.Source.Scheme switch
        {
            "file" => FromHostFileAsync(driver, target, job, watch, size => capacity.ReserveAsync(driver, target, bsName, job.Row, size, $"{job.Noun}[{job.ImageName}]", ct), progress, ct),
            var scheme when sources.FirstOrDefault(s => s.Scheme == scheme) is { } opener =>
                FromOpenerAsync(opener, driver, target, job, watch, size => capacity.ReserveAsync(driver, target, bsName, job.Row, size, $"{job.Noun}[{job.ImageName}]", ct), progress, ct),
            _ => TransferAsync(driver, target, job, watch, progress, ct),
        };

    private async Task<ImageFileFacts> TransferAsync(
        IBackupStorageDriver driver, BackupStorageTarget target, CopyJob job, StallWatch watch, IProgress<TransferProgress> progress, CancellationToken ct)
    {
        var mode = configs.Get(ImageConfigs.DownloadMode);
        var insecure = configs.GetBool(ImageConfigs.SkipTlsVerify);
        if (mode != "Stream")
        {
            try
            {
                var download = new ImageDownload(job.Source, job.InstallPath, insecure, job.Expect) { StallSeconds = configs.GetLong(ImageConfigs.StallTimeout) };
                return await driver.DownloadFromUrlAsync(target, download, progress, ct);
            }
            catch (StorageException e) when (e.Failure == StorageFailure.SourceUnreachable && mode == "Auto")
            {
                LogStreaming(logger, job.ImageUuid, job.BsUuid, e.Message);
            }
        }

        var http = httpFactory.CreateClient(insecure ? InsecureHttpClientName : HttpClientName);
        var response = await GetAsync(http, job.Source, ct);
        using (response)
        {
            if (!response.IsSuccessStatusCode)
            {
                throw new StorageException(StorageFailure.SourceFailed, $"the source answered HTTP {(int)response.StatusCode}");
            }

            var expect = job.Expect with { Size = response.Content.Headers.ContentLength ?? job.Expect.Size };
            await using var body = await response.Content.ReadAsStreamAsync(ct);
            return await driver.WriteFromStreamAsync(target, watch.Wrap(body), job.InstallPath, expect, progress, ct);
        }
    }

    private async Task SetRefAsync(CopyRow row, string status, string? error)
    {
        await using var db = dbFactory.CreateDbContext();
        await row.SetStatusAsync(db, status, error, clock.GetUtcNow().UtcDateTime);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "image {Image} on backup storage {Bs}: {Reason}")]
    private static partial void LogCopyFailed(ILogger logger, string image, string bs, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "image {Image} on backup storage {Bs}: unexpected error")]
    private static partial void LogUnexpected(ILogger logger, Exception e, string image, string bs);

    [LoggerMessage(Level = LogLevel.Information, Message = "image {Image} on backup storage {Bs}: the host cannot pull the source ({Reason}); Stowage streams it")]
    private static partial void LogStreaming(ILogger logger, string image, string bs, string reason);
}

public static class ImageStatus
{
    public const string Downloading = "Downloading";
    public const string Ready = "Ready";
    public const string Deleted = "Deleted";
    public const string Error = "Error";

    /// <summary>A verification found the copy's bytes changed, cut short or gone: never read, exported or copied from until repaired.</summary>
    public const string Corrupted = "Corrupted";

    /// <summary>Statuses whose copy has a complete file on the storage (its folder is removed when the copy goes).</summary>
    public static bool HoldsFile(string status) => status is Ready or Deleted or Corrupted;
}
