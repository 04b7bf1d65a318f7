using System.Diagnostics;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>
/// A transfer script run by a local OpenSSH <c>ssh</c> child whose stdin carries the data (bulk writes: the
/// streamed write and upload pieces). OpenSSH's C AES-GCM costs less CPU per byte than SSH.NET's, and the
/// encryption runs in another process, so on a loaded two-core machine the server's own work (Kestrel, md5,
/// sha256) gets the CPU it frees. Built by <see cref="OpenSshCommand"/> like the export read path: argument
/// vector, host key pinned through a per-call known_hosts file, password through askpass, key through the
/// agent wrapper, which takes exactly the key's bytes from stdin before ssh gets the rest.
/// </summary>
internal sealed class OpenSshScriptChannel : ScriptChannel
{
    private readonly Process _process;
    private readonly SftpEndpoint _endpoint;
    private readonly string[] _files;
    private readonly Stream _input;
    private int _disposed;

    private OpenSshScriptChannel(Process process, SftpEndpoint endpoint, string[] files)
    {
        (_process, _endpoint, _files) = (process, endpoint, files);
        _input = process.StandardInput.BaseStream;
        OpenSshReadStream.TryEnlargePipe(_input);
        StartReading(process.StandardOutput.BaseStream, process.StandardError.BaseStream, 4 * 1024);
        Completion = ExitedAsync();
    }

    public override Stream Input => _input;

    public override Task Completion { get; }

    public override int? ExitStatus => _process.HasExited ? _process.ExitCode : null;

    /// <summary>
    /// ssh ending does not end the script when ssh itself failed (255) or was killed: the host notices the
    /// closed session only when the script next prints, so it is stopped there explicitly.
    /// </summary>
    public override bool MayRunOnHost => !_process.HasExited || _process.ExitCode is 255 or (> 128 and not 143);

    /// <summary>
    /// Starts ssh, hands the agent its key, and waits until the script printed its <c>PID</c> line, so no
    /// byte of data is sent before the login worked: until then the caller can still fall back to SSH.NET
    /// (<see cref="OpenSshUnusableException"/>). Login failures (host key, password, key) are thrown as
    /// <see cref="StorageException"/>s.
    /// </summary>
    public static async Task<OpenSshScriptChannel> StartAsync(
        OpenSshTools tools, SftpEndpoint endpoint, string knownHostsLine, string script, TimeSpan connectTimeout, CancellationToken cancellationToken)
    {
        var usesKey = endpoint.Secret.Kind != StorageSecretKind.Password;
        var (process, files) = await OpenSshChild.StartAsync(tools, endpoint, knownHostsLine, script, connectTimeout, stdinCarriesData: true, cancellationToken);
        var channel = new OpenSshScriptChannel(process, endpoint, files);
        try
        {
            if (usesKey)
            {
                try
                {
                    await channel._input.WriteAsync(OpenSshCommand.KeyBytes(endpoint), cancellationToken);
                    await channel._input.FlushAsync(cancellationToken);
                }
                catch (IOException)
                {
                    // The agent ended before taking the key; its exit status says why (below).
                }
            }

            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(connectTimeout + SftpBackupStorageDriver.CommandTimeout);
            var pid = await channel.Pid.WaitAsync(limit.Token);
            if (pid == 0)
            {
                await channel.Completion.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
                var stderr = SshFailures.Safe((await channel.Errors).Trim(), endpoint);
                throw OpenSshCommand.Failure(channel._process.ExitCode, stderr, endpoint)
                    ?? new StorageException(StorageFailure.CommandFailed, $"the transfer script on {endpoint.Display} ended before it started (exit {channel._process.ExitCode})");
            }

            return channel;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await channel.DisposeAsync();
            throw new StorageException(StorageFailure.Timeout, $"timed out starting a transfer on {endpoint.Display} over ssh");
        }
        catch
        {
            await channel.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// ssh ended with its own status (255: the connection or the session broke) or was killed (a signal, seen
    /// here as 128 + its number): the channel failed, not the script. A write into ssh's stdin that failed
    /// (<paramref name="during"/> an <see cref="IOException"/> that is not the source's) means ssh stopped
    /// reading: it is ending, and its status says whether the script ended first (disk full) or ssh did.
    /// </summary>
    public override async Task<StorageException?> ChannelFailureAsync(Exception? during)
    {
        var pipeBroke = during is IOException and not SourceReadException;
        if (during is not null && !pipeBroke)
        {
            return null;
        }

        if (pipeBroke)
        {
            await Task.WhenAny(Completion, Task.Delay(TimeSpan.FromSeconds(10)));
        }

        if (!_process.HasExited)
        {
            return during is null ? null : new StorageException(StorageFailure.Unreachable, $"ssh to {_endpoint.Display} stopped taking the data");
        }

        var code = _process.ExitCode;
        var stderr = SshFailures.Safe((await Errors).Trim(), _endpoint);
        return code switch
        {
            255 => (StorageException)OpenSshCommand.Failure(255, stderr, _endpoint)!,
            > 128 and not 143 => new StorageException(StorageFailure.Unreachable, $"the ssh process for {_endpoint.Display} was killed (exit {code})"),
            0 when pipeBroke => new StorageException(StorageFailure.Unreachable, $"ssh to {_endpoint.Display} stopped taking the data"),
            _ when pipeBroke => ImageOutcome.Failure(code, Lines, stderr, _endpoint.Display),
            _ => null,
        };
    }

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        OpenSshChild.Kill(_process);
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            await _process.WaitForExitAsync(wait.Token);
        }
        catch (OperationCanceledException)
        {
            // Killed and reaped by the runtime later; the files go now either way.
        }

        try
        {
            _input.Dispose();
        }
        catch (IOException)
        {
            // The pipe's reader is gone: nothing left to flush.
        }

        _process.Dispose();
        OpenSshChild.DeleteFiles(_files);
    }

    private async Task ExitedAsync()
    {
        await _process.WaitForExitAsync(CancellationToken.None);
        await OutputRead;
    }
}
