using System.Globalization;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>
/// Running a transfer script: on an SSH.NET exec channel of the pooled connection, or, for the bulk writes
/// (streamed writes and upload pieces), on a local OpenSSH <c>ssh</c> child when there is one
/// (<see cref="OpenSshScriptChannel"/>). Only the byte channel differs: the scripts, stopping a transfer on
/// the host (through the pooled connection), progress and outcomes are the same.
/// </summary>
public sealed partial class SftpBackupStorageDriver
{
    /// <summary>How bulk writes reach the host: <see cref="WriteTransport.Auto"/> uses OpenSSH when it is installed.</summary>
    public WriteTransport WriteTransport { get; set; } = WriteTransport.Auto;

    /// <summary>Whether bulk writes go through a local OpenSSH client (installed and not turned off).</summary>
    public bool WritesThroughOpenSsh => _openSsh is not null && WriteTransport != WriteTransport.SshNet;

    /// <summary>
    /// Writes known to be smaller take the SSH.NET channel: starting ssh (key exchange, login) costs tens of
    /// milliseconds of CPU, more than OpenSSH's cheaper crypto saves on a few MiB.
    /// </summary>
    public long OpenSshWriteMinBytes { get; set; } = 32L * 1024 * 1024;

    /// <summary>Runs a transfer script fed by <paramref name="feed"/> and answers the lines it printed; a non-zero exit fails.</summary>
    private Task<IReadOnlyList<string>> TransferAsync(
        BackupStorageTarget target, string installPath, string script, Func<Stream, CancellationToken, Task> feed,
        IProgress<TransferProgress>? progress, string[] hide, CancellationToken cancellationToken) =>
        RunTransferAsync(target, installPath, script, feed, progress, hide, throughOpenSsh: false, cancellationToken);

    /// <summary>
    /// A transfer whose feed carries an image's bytes (<paramref name="size"/> of them when known): through
    /// OpenSSH when it is installed and the write is not small, else like any other transfer.
    /// </summary>
    private Task<IReadOnlyList<string>> WriteTransferAsync(
        BackupStorageTarget target, string installPath, string script, Func<Stream, CancellationToken, Task> feed, long? size, CancellationToken cancellationToken) =>
        RunTransferAsync(target, installPath, script, feed, null, [], WritesThroughOpenSsh && (size is null || size >= OpenSshWriteMinBytes), cancellationToken);

    private async Task<IReadOnlyList<string>> RunTransferAsync(
        BackupStorageTarget target, string installPath, string script, Func<Stream, CancellationToken, Task> feed,
        IProgress<TransferProgress>? progress, string[] hide, bool throughOpenSsh, CancellationToken cancellationToken)
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

        // The exec session is held with an OpenSSH channel too: stopping the script on the host goes through it.
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
        var channel = throughOpenSsh ? await OpenSshChannelAsync(target, endpoint, connection, script, cancellationToken) : null;
        if (channel is null)
        {
            try
            {
                channel = SshNetScriptChannel.Start(lease.Client, connection, endpoint, script);
            }
            catch (Exception ex)
            {
                _pool.DropBroken(target.Uuid, connection);
                throw Fail(target, SshFailures.FromCommand(ex, endpoint));
            }
        }

        await using var running = channel;
        using var stopPolling = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var polling = progress is null ? Task.CompletedTask : PollProgressAsync(target, endpoint, installPath, progress, stopPolling.Token);
        try
        {
            using (var input = channel.Input)
            {
                await FeedAsync(feed, input, channel.Completion, cancellationToken);
            }

            await channel.Completion.WaitAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not StorageException && !(channel.Completion.IsCompletedSuccessfully && !cancellationToken.IsCancellationRequested))
        {
            await StopAsync(target, endpoint, installPath, channel);
            if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            throw Fail(target, await channel.ChannelFailureAsync(ex)
                ?? new StorageException(StorageFailure.SourceFailed, $"reading the source failed: {ex.GetType().Name}", ex));
        }
        finally
        {
            await stopPolling.CancelAsync();
            await polling;
        }

        await channel.OutputRead;
        var where = endpoint.Display;
        var errorText = Hide(SshFailures.Safe((await channel.Errors).Trim(), endpoint), hide);
        if (await channel.ChannelFailureAsync(null) is { } broken)
        {
            // ssh itself failed (the connection broke, or it was killed): the script may still run on the host.
            await StopAsync(target, endpoint, installPath, channel);
            throw Fail(target, broken);
        }

        if (channel.ExitStatus != 0)
        {
            throw Fail(target, ImageOutcome.Failure(channel.ExitStatus, channel.Lines, errorText, where));
        }

        return channel.Lines;
    }

    /// <summary>Null when OpenSSH cannot do this login (SSH.NET then carries the write); failures of the host are thrown.</summary>
    private async Task<ScriptChannel?> OpenSshChannelAsync(BackupStorageTarget target, SftpEndpoint endpoint, SftpConnection connection, string script, CancellationToken cancellationToken)
    {
        // The host key in full as SSH.NET checked it against the pin: ssh trusts exactly that key.
        if (KnownHostsLine(connection.HostKeyBlob) is not { } knownHost)
        {
            return null;
        }

        try
        {
            return await OpenSshScriptChannel.StartAsync(_openSsh!, endpoint, knownHost, script, ConnectTimeout, cancellationToken);
        }
        catch (OpenSshUnusableException ex)
        {
            Log.OpenSshWriteUnusable(_logger, target.Uuid, SshFailures.Safe(ex.Message, endpoint));
            return null;
        }
        catch (StorageException ex)
        {
            throw Fail(target, ex);
        }
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
    private async Task StopAsync(BackupStorageTarget target, SftpEndpoint endpoint, string installPath, ScriptChannel channel)
    {
        var pid = channel.Pid;
        var exec = channel.Completion;
        if (await Task.WhenAny(pid, Task.Delay(TimeSpan.FromSeconds(5))) == pid && pid.Result > 1 && channel.MayRunOnHost)
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

    private static string Hide(string text, string[] secrets)
    {
        foreach (var s in secrets.Where(s => s.Length > 0))
        {
            text = text.Replace(s, "***", StringComparison.Ordinal);
        }

        return text;
    }
}

/// <summary>Reading the source failed mid-stream: not a failure of the storage, so the transfer stops its script.</summary>
internal sealed class SourceReadException(StorageException inner) : IOException(inner.Message, inner);

/// <summary>How the SFTP driver sends the bytes of streamed writes and uploads to its host.</summary>
public enum WriteTransport
{
    /// <summary>OpenSSH's <c>ssh</c> when installed (for writes not known to be small), SSH.NET otherwise.</summary>
    Auto,

    /// <summary>Always an SSH.NET exec channel (no local process).</summary>
    SshNet,
}
