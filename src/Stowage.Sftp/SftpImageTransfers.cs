using System.Globalization;
using System.Text;
using Renci.SshNet;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>The image data path of the SFTP driver: host pull, streamed write and delete.</summary>
public sealed partial class SftpBackupStorageDriver
{
    private const int StreamBuffer = 256 * 1024;

    /// <summary>How often a running transfer's progress is measured on the host.</summary>
    public static TimeSpan ProgressInterval { get; set; } = TimeSpan.FromSeconds(1);

    public async Task<ImageFileFacts> DownloadFromUrlAsync(BackupStorageTarget target, ImageDownload download, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(download);
        if (download.Source.Scheme is not ("http" or "https" or "ftp"))
        {
            throw new StorageException(StorageFailure.SourceUnreachable, $"the storage host only pulls http, https and ftp, not {download.Source.Scheme}");
        }

        var text = download.Source.AbsoluteUri;
        var script = ImageCommands.Download(download.InstallPath, download.SkipTlsVerify, download.Expect, download.StallSeconds);
        var lines = await TransferAsync(target, download.InstallPath, script, async (input, ct) =>
        {
            await input.WriteAsync(Encoding.UTF8.GetBytes(text + "\n"), ct);
            await input.FlushAsync(ct);

            // stdin stays open until the script ends (FeedAsync stops this wait then): closing it is the
            // script's signal to stop the pull (see ImageCommands.Watchdog).
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
        }, progress, [text, download.Source.UserInfo], cancellationToken);
        return ImageOutcome.Facts(download.InstallPath, lines);
    }

    /// <summary>
    /// Streams the source to the host's <c>cat</c> while md5 and sha256 are computed here, on other threads, from
    /// the same buffers (<see cref="HashingCopy"/>); a second short script then syncs, verifies and places the file
    /// with those digests, so the host never reads the file back to hash it.
    /// </summary>
    public async Task<ImageFileFacts> WriteFromStreamAsync(BackupStorageTarget target, Stream source, string installPath, ImageExpectations expect, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var written = ImageCommands.TempPath(installPath);
        CopyDigests? digests = null;
        try
        {
            await WriteTransferAsync(target, installPath, ImageCommands.WriteStdinKeep(installPath, expect), async (input, ct) =>
            {
                try
                {
                    digests = await HashingCopy.CopyAsync(source, input, progress, stopOnSourceError: false, ct);
                }
                catch (StorageException e)
                {
                    // Only the source throws these here (writes to the channel fail with their own exceptions):
                    // carried out as a non-storage failure, so the transfer stops its script on the host and
                    // removes the partial file, then unwrapped below.
                    throw new SourceReadException(e);
                }
            }, expect.Size ?? KnownLength(source), cancellationToken);
            var lines = await TransferAsync(target, installPath, ImageCommands.FinishWritten(installPath, written, expect, digests), static (_, _) => Task.CompletedTask, null, [], cancellationToken);
            return ImageOutcome.Facts(installPath, lines);
        }
        catch (StorageException e) when (e.InnerException is SourceReadException { InnerException: StorageException original })
        {
            throw original;
        }
        catch (Exception) when (digests is not null || cancellationToken.IsCancellationRequested)
        {
            // Between the halves, or the second half lost its connection: its own clean-up may not have run.
            await RemoveWrittenAsync(target, installPath, written);
            throw;
        }
    }

    /// <summary>The bytes a stream will yield when it says (a file, an export read, an upload piece), else null.</summary>
    private static long? KnownLength(Stream source)
    {
        try
        {
            return source.Length;
        }
        catch (Exception ex) when (ex is NotSupportedException or ObjectDisposedException)
        {
            return null;
        }
    }

    /// <summary>
    /// Removes the file a first-half write kept when its second half did not run or failed before its own clean-up
    /// (cancelled in between, the connection lost); best effort, bounded: the sweeper removes what is left.
    /// </summary>
    private async Task RemoveWrittenAsync(BackupStorageTarget target, string installPath, string written)
    {
        try
        {
            var (endpoint, _) = Resolve(target);
            using var limit = new CancellationTokenSource(CommandTimeout);
            await RunAsync(target, endpoint, ImageCommands.RemoveWritten(installPath, written), limit.Token);
        }
        catch (Exception ex) when (ex is StorageException or OperationCanceledException)
        {
            Log.Failed(_logger, target.Uuid, "could not remove a partial file on the host; the sweeper removes it later");
        }
    }

    public async Task DeleteImageAsync(BackupStorageTarget target, string installPath, CancellationToken cancellationToken)
    {
        var (endpoint, url) = Resolve(target);
        CheckInstallPath(url, installPath);
        if (_uploadDigests.TryRemove(target.Uuid + "\n" + installPath, out var kept))
        {
            kept.Digests.Dispose();
        }

        var result = await RunAsync(target, endpoint, ImageCommands.DeleteImage(installPath), cancellationToken);
        if (result.ExitStatus != 0)
        {
            throw Fail(target, new StorageException(StorageFailure.CommandFailed,
                $"cannot delete {installPath} on {endpoint.Display}: {SshFailures.Safe(result.Stderr.Trim(), endpoint)}"));
        }
    }

    public async Task<bool> MoveImageAsync(BackupStorageTarget target, string from, string to, CancellationToken cancellationToken)
    {
        var (endpoint, url) = Resolve(target);
        CheckInstallPath(url, from);
        CheckInstallPath(url, to);
        var result = await RunAsync(target, endpoint, ImageCommands.MoveImage(from, to), cancellationToken);
        if (result.ExitStatus != 0)
        {
            throw Fail(target, new StorageException(StorageFailure.CommandFailed,
                $"cannot move {from} to {to} on {endpoint.Display}: {SshFailures.Safe(result.Stderr.Trim(), endpoint)}"));
        }

        return true;
    }

    /// <summary>An install path must lie in its own folder strictly inside the backup storage's directory.</summary>
    private static void CheckInstallPath(string url, string installPath)
    {
        var root = url.TrimEnd('/') + "/";
        var folder = Path.GetDirectoryName(installPath)?.Replace('\\', '/') ?? string.Empty;
        if (!installPath.StartsWith(root, StringComparison.Ordinal) || folder.Length <= root.Length
            || installPath.Split('/').Any(s => s is "." or "..") || installPath.Contains('\0', StringComparison.Ordinal))
        {
            throw new StorageException(StorageFailure.BadLocation, $"install path {installPath} is not inside backup storage directory {url}");
        }
    }
}
