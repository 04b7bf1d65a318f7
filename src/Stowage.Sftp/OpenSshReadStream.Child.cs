using System.IO.Pipes;
using System.Runtime.InteropServices;
using System.Text;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>The child's side channels: its stderr, its pipe size, and what its exit status means.</summary>
internal sealed partial class OpenSshReadStream
{
    private static async Task<string> DrainAsync(Stream stderr)
    {
        var kept = new MemoryStream();
        var buffer = new byte[4096];
        try
        {
            int n;
            while ((n = await stderr.ReadAsync(buffer)) > 0)
            {
                kept.Write(buffer, 0, Math.Min(n, MaxStderr - (int)kept.Length));
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The child was killed: what was read so far is all there is.
        }

        return Encoding.UTF8.GetString(kept.GetBuffer(), 0, (int)kept.Length);
    }

    internal static void TryEnlargePipe(Stream stdout)
    {
        // Default pipes hold 64 KiB: every few packets ssh and the server would each wake up for a small
        // read. 1 MiB (the unprivileged limit) halves the server's CPU per GB; failing to raise it is harmless.
        if (OperatingSystem.IsLinux() && stdout is PipeStream pipe)
        {
            _ = SetPipeSize(pipe.SafePipeHandle.DangerousGetHandle(), FSetPipeSize, PipeSize);
        }
    }

    private const int FSetPipeSize = 1031;

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int SetPipeSize(nint fd, int command, int size);

    /// <summary>What went wrong when ssh ended before the size line, from its exit status and stderr.</summary>
    private async Task<Exception> FailureAsync(SftpEndpoint endpoint, string path, CancellationToken cancellationToken)
    {
        using var wait = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        wait.CancelAfter(TimeSpan.FromSeconds(10));
        await _process.WaitForExitAsync(wait.Token);
        var stderr = SshFailures.Safe((await _stderr).Trim(), endpoint);
        var last = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault() ?? string.Empty;
        return OpenSshCommand.Failure(_process.ExitCode, stderr, endpoint) ?? _process.ExitCode switch
        {
            RemoteCommands.ExitReadMissing => new StorageException(StorageFailure.BadLocation, $"image file {path} is not on {endpoint.Display}"),
            RemoteCommands.ExitReadDenied => new StorageException(StorageFailure.BadLocation, $"image file {path} on {endpoint.Display} is not readable by user {endpoint.Username}"),
            RemoteCommands.ExitReadNoSize => new StorageException(StorageFailure.CommandFailed, $"cannot read the size of {path} on {endpoint.Display}: {last}"),
            var code => new StorageException(StorageFailure.CommandFailed, $"reading {path} on {endpoint.Display} failed (exit {code}): {last}"),
        };
    }
}
