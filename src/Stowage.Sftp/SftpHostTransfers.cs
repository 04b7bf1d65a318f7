using System.Globalization;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>The SFTP driver's host-file copies and resumable uploads.</summary>
public sealed partial class SftpBackupStorageDriver
{
    public async Task<ImageFileFacts> CopyFromHostFileAsync(BackupStorageTarget target, string hostPath, string installPath, ImageExpectations expect, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hostPath);
        if (!hostPath.StartsWith('/') || hostPath.Split('/').Any(s => s is "." or ".."))
        {
            throw new StorageException(StorageFailure.SourceFailed, $"source path {hostPath} must be absolute, without . or .. segments");
        }

        var (_, url) = Resolve(target);
        var script = ImageCommands.CopyHostFile(hostPath, url, installPath, expect);
        var lines = await TransferAsync(target, installPath, script, (_, _) => Task.CompletedTask, progress, [], cancellationToken);
        return ImageOutcome.Facts(installPath, lines);
    }

    public async Task<long?> GetHostFileSizeAsync(BackupStorageTarget target, string hostPath, CancellationToken cancellationToken)
    {
        var (endpoint, _) = Resolve(target);
        var result = await RunAsync(target, endpoint, $"stat -L -c %s -- {RemoteCommands.Quote(hostPath)} 2>/dev/null", cancellationToken);
        return result.ExitStatus == 0 && long.TryParse(result.Stdout.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : null;
    }

    /// <summary>
    /// A piece from byte 0 (a whole-file PUT, or the first piece) is hashed here while it streams
    /// (<see cref="HashingCopy"/>, md5 and sha256 on other threads), and when it completes the upload a second
    /// short script finishes the file with those digests, so the host does not read it back. A piece that resumes
    /// at a later offset has no digest state for the bytes before it: the host hashes the whole file as before.
    /// </summary>
    public async Task<UploadChunk> WriteUploadChunkAsync(BackupStorageTarget target, Stream source, string installPath, long offset, long total, ImageExpectations expect, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(expect);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var whole = expect with { Size = total };
        var hashHere = offset == 0;
        CopyDigests? digests = null;
        var script = ImageCommands.UploadChunk(installPath, offset, whole, finish: !hashHere);
        var lines = await WriteTransferAsync(target, installPath, script, async (input, ct) =>
        {
            if (hashHere)
            {
                // stopOnSourceError: the client went away mid-body; the input ends and the host keeps what arrived.
                digests = await HashingCopy.CopyAsync(source, input, null, stopOnSourceError: true, ct);
                return;
            }

            var buffer = new byte[StreamBuffer];
            while (true)
            {
                int n;
                try
                {
                    n = await source.ReadAsync(buffer, ct);
                }
                catch (Exception) when (!ct.IsCancellationRequested)
                {
                    // The client went away mid-body: end the input so the host keeps what arrived for a resume.
                    break;
                }

                if (n == 0)
                {
                    break;
                }

                await input.WriteAsync(buffer.AsMemory(0, n), ct);
            }
        }, KnownLength(source) ?? total - offset, cancellationToken);

        var part = lines.LastOrDefault(l => l.StartsWith("PART ", StringComparison.Ordinal));
        var size = part is not null && long.TryParse(part[5..].Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
        if (hashHere && size >= total)
        {
            // Digests of exactly the bytes on the host, or (should the counts differ) none: the host computes them.
            var known = digests is { } d && d.Bytes == size ? d : null;
            var finish = ImageCommands.FinishWritten(installPath, ImageCommands.UploadPath(installPath), whole, known);
            lines = await TransferAsync(target, installPath, finish, static (_, _) => Task.CompletedTask, null, [], cancellationToken);
        }

        var facts = lines.Any(l => l.StartsWith("FACTS ", StringComparison.Ordinal)) ? ImageOutcome.Facts(installPath, lines) : null;
        return new UploadChunk(size, facts);
    }

    public async Task<long> GetUploadedSizeAsync(BackupStorageTarget target, string installPath, CancellationToken cancellationToken)
    {
        var (endpoint, url) = Resolve(target);
        CheckInstallPath(url, installPath);
        var result = await RunAsync(target, endpoint, ImageCommands.UploadSize(installPath), cancellationToken);
        return long.TryParse(result.Stdout.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : 0;
    }
}
