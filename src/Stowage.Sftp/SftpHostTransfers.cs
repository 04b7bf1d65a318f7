using System.Collections.Concurrent;
using System.Globalization;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>The SFTP driver's host-file copies and resumable uploads.</summary>
public sealed partial class SftpBackupStorageDriver
{
    /// <summary>Uploads whose digests are kept between pieces; beyond it (abandoned uploads) the host hashes instead.</summary>
    private const int MaxKeptUploadDigests = 1024;

    private readonly ConcurrentDictionary<string, UploadDigests> _uploadDigests = new(StringComparer.Ordinal);

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
    /// Pieces are hashed here while they stream (<see cref="HashingCopy"/>, md5 and sha256 on other threads): from
    /// byte 0, and for a later piece when this server sent the earlier ones and the host's file is still the one it
    /// left (same size, inode and modification time), continuing their digests, kept in memory between requests.
    /// When the upload completes, a second short script finishes the file with those digests, so the host does not
    /// read it back. A piece without that state (another server, a restart, an older piece) is appended as is, and
    /// the host hashes the whole file at the end as before.
    /// </summary>
    public async Task<UploadChunk> WriteUploadChunkAsync(BackupStorageTarget target, Stream source, string installPath, long offset, long total, ImageExpectations expect, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(expect);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var whole = expect with { Size = total };
        var key = target.Uuid + "\n" + installPath;
        _uploadDigests.TryRemove(key, out var earlier);
        if (earlier is not null && (offset == 0 || earlier.Digests.Bytes != offset))
        {
            earlier.Digests.Dispose();
            earlier = null;
        }

        var running = offset == 0 ? new RunningDigests() : earlier?.Digests;
        var kept = false;
        try
        {
            var hashHere = running is not null;
            CopyDigests? digests = null;
            var script = ImageCommands.UploadChunk(installPath, offset, whole, finish: !hashHere);
            var lines = await WriteTransferAsync(target, installPath, script, async (input, ct) =>
            {
                if (running is not null)
                {
                    // stopOnSourceError: the client went away mid-body; the input ends and the host keeps what arrived.
                    digests = await HashingCopy.CopyAsync(source, input, null, stopOnSourceError: true, running, ct);
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

            var size = LineValue(lines, "PART ") is { } part && long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : 0;
            if (earlier is not null && LineValue(lines, "BEFORE ") != earlier.Stamp)
            {
                // The file changed since this server's last piece: its digests are not the file's.
                digests = null;
            }

            // Digests of exactly the bytes on the host, or (should the counts differ) none: the host computes them.
            var known = digests is { } d && d.Bytes == size ? d : null;
            if (hashHere && size >= total)
            {
                var finish = ImageCommands.FinishWritten(installPath, ImageCommands.UploadPath(installPath), whole, known);
                lines = await TransferAsync(target, installPath, finish, static (_, _) => Task.CompletedTask, null, [], cancellationToken);
            }
            else if (known is not null && LineValue(lines, "AFTER ") is { } stamp && _uploadDigests.Count < MaxKeptUploadDigests)
            {
                kept = _uploadDigests.TryAdd(key, new UploadDigests(running!, stamp));
            }

            var facts = lines.Any(l => l.StartsWith("FACTS ", StringComparison.Ordinal)) ? ImageOutcome.Facts(installPath, lines) : null;
            return new UploadChunk(size, facts);
        }
        finally
        {
            if (!kept)
            {
                running?.Dispose();
            }
        }
    }

    public async Task<long> GetUploadedSizeAsync(BackupStorageTarget target, string installPath, CancellationToken cancellationToken)
    {
        var (endpoint, url) = Resolve(target);
        CheckInstallPath(url, installPath);
        var result = await RunAsync(target, endpoint, ImageCommands.UploadSize(installPath), cancellationToken);
        return long.TryParse(result.Stdout.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : 0;
    }

    private static string? LineValue(IReadOnlyList<string> lines, string prefix) =>
        lines.LastOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal)) is { } line ? line[prefix.Length..].Trim() : null;

    /// <summary>The digests of an upload's bytes so far and the host file's identity after them (see WriteUploadChunkAsync).</summary>
    private sealed record UploadDigests(RunningDigests Digests, string Stamp);
}
