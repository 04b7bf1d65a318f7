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
            await TransferAsync(target, installPath, ImageCommands.WriteStdinKeep(installPath, expect), async (input, ct) =>
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
            }, null, [], cancellationToken);
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

    /// <summary>Reading the source failed mid-stream: not a failure of the storage, so the transfer stops its script.</summary>
    private sealed class SourceReadException(StorageException inner) : IOException(inner.Message, inner);

    public async Task DeleteImageAsync(BackupStorageTarget target, string installPath, CancellationToken cancellationToken)
    {
        var (endpoint, url) = Resolve(target);
        CheckInstallPath(url, installPath);
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

    /// <summary>Runs a transfer script fed by <paramref name="feed"/> and answers the lines it printed; a non-zero exit fails.</summary>
    private async Task<IReadOnlyList<string>> TransferAsync(
        BackupStorageTarget target, string installPath, string script, Func<Stream, CancellationToken, Task> feed,
        IProgress<TransferProgress>? progress, string[] hide, CancellationToken cancellationToken)
    {
        var (endpoint, url) = Resolve(target);
        CheckInstallPath(url, installPath);
        SftpConnection connection;
        try
        {
            (connection, _) = await _pool.GetAsync(target.Uuid, endpoint, cancellationToken);
        }
        catch (StorageException ex)
        {
            throw Fail(target, ex);
        }

        SftpConnection.ExecLease lease;
        try
        {
            lease = await connection.ExecClientAsync(cancellationToken);
        }
        catch (StorageException ex)
        {
            throw Fail(target, ex);
        }

        using var held = lease;
        using var command = lease.Client.CreateCommand(script);
        command.CommandTimeout = Timeout.InfiniteTimeSpan;
        var pid = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        var lines = new List<string>();
        Task exec;
        try
        {
            exec = command.ExecuteAsync(CancellationToken.None);
        }
        catch (Exception ex)
        {
            _pool.DropBroken(target.Uuid, connection);
            throw Fail(target, SshFailures.FromCommand(ex, endpoint));
        }

        var stdout = Task.Run(() => ReadLines(command.OutputStream, lines, pid), CancellationToken.None);
        var stderr = Task.Run(() => ReadBoundedAsync(command.ExtendedOutputStream, MaxStderr, CancellationToken.None), CancellationToken.None);
        using var stopPolling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var polling = progress is null ? Task.CompletedTask : PollProgressAsync(target, endpoint, installPath, progress, stopPolling.Token);
        try
        {
            using (var input = command.CreateInputStream())
            {
                await FeedAsync(feed, input, exec, cancellationToken);
            }

            await exec.WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not StorageException && !(exec.IsCompletedSuccessfully && !cancellationToken.IsCancellationRequested))
        {
            await StopAsync(target, endpoint, installPath, pid.Task, exec);
            if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw Fail(target, exec.IsFaulted || !connection.IsConnected
                ? SshFailures.FromCommand(exec.Exception?.InnerException ?? ex, endpoint)
                : new StorageException(StorageFailure.SourceFailed, $"reading the source failed: {ex.GetType().Name}", ex));
        }
        finally
        {
            await stopPolling.CancelAsync();
            await polling;
        }

        await stdout;
        var where = endpoint.Display;
        var errorText = Hide(SshFailures.Safe((await stderr).Trim(), endpoint), hide);
        if (command.ExitStatus != 0)
        {
            throw Fail(target, ImageOutcome.Failure(command.ExitStatus, lines, errorText, where));
        }

        return lines;
    }

    /// <summary>
    /// Feeds the script's standard input. The script can end first (disk full, a failed write): then nobody
    /// reads the channel and a write would wait for window space forever, so feeding stops and the script's
    /// exit status tells why.
    /// </summary>
    private static async Task FeedAsync(Func<Stream, CancellationToken, Task> feed, Stream input, Task exec, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var feeding = feed(input, stop.Token);
        if (await Task.WhenAny(feeding, exec) == feeding || cancellationToken.IsCancellationRequested)
        {
            await feeding;
            return;
        }

        await stop.CancelAsync();
        try
        {
            await feeding.WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
        }
        catch (Exception e) when (e is OperationCanceledException or TimeoutException or IOException or ObjectDisposedException or Renci.SshNet.Common.SshException)
        {
            // Expected: the remote side is gone; a write still blocked ends when the channel is disposed,
            // and its failure is observed here rather than left to the finalizer.
            _ = feeding.ContinueWith(static t => t.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }
    }

    /// <summary>Kills the transfer's process group on the host and waits briefly for the channel to close.</summary>
    private async Task StopAsync(BackupStorageTarget target, SftpEndpoint endpoint, string installPath, Task<int> pid, Task exec)
    {
        if (await Task.WhenAny(pid, Task.Delay(TimeSpan.FromSeconds(5))) == pid && pid.Result > 1 && !exec.IsCompleted)
        {
            try
            {
                using var limit = new CancellationTokenSource(CommandTimeout);
                await RunAsync(target, endpoint, ImageCommands.Kill(pid.Result, installPath), limit.Token);
            }
            catch (Exception ex) when (ex is StorageException or OperationCanceledException)
            {
                Log.Failed(_logger, target.Uuid, "could not stop a transfer on the host; the sweeper removes its file later");
            }
        }

        await Task.WhenAny(exec, Task.Delay(TimeSpan.FromSeconds(10)));
    }

    private async Task PollProgressAsync(BackupStorageTarget target, SftpEndpoint endpoint, string installPath, IProgress<TransferProgress> progress, CancellationToken ct)
    {
        try
        {
            while (!ct.IsCancellationRequested)
            {
                await Task.Delay(ProgressInterval, ct);
                var r = await RunAsync(target, endpoint, ImageCommands.PartSize(installPath), ct);
                if (long.TryParse(r.Stdout.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var done) && done > 0)
                {
                    progress.Report(new TransferProgress(done));
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or StorageException)
        {
            // Progress is best effort; the transfer itself reports failures.
        }
    }

    private static void ReadLines(Stream stream, List<string> lines, TaskCompletionSource<int> pid)
    {
        using var reader = new StreamReader(stream, Encoding.UTF8, false, 4096, leaveOpen: true);
        while (reader.ReadLine() is { } line)
        {
            if (line.StartsWith("PID ", StringComparison.Ordinal) && int.TryParse(line[4..], NumberStyles.None, CultureInfo.InvariantCulture, out var p))
            {
                pid.TrySetResult(p);
            }
            else if (lines.Count < 64)
            {
                lines.Add(line);
            }
        }

        pid.TrySetResult(0);
    }

    private static string Hide(string text, string[] secrets)
    {
        foreach (var s in secrets.Where(s => s.Length > 0))
        {
            text = text.Replace(s, "***", StringComparison.Ordinal);
        }

        return text;
    }
}
