using System.Security.Cryptography;
using System.Text;
using Renci.SshNet;
using Renci.SshNet.Common;
using Renci.SshNet.Sftp;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>
/// The checks behind connect, ping, capacity and the identity marker, as SFTP requests on the pooled
/// session. The host's <c>sftp-server</c> answers them with plain system calls (stat, open, read,
/// mkdir, rmdir, statvfs), so a ping starts no process on the host; an exec channel would fork a
/// shell (and df) every time, which dominated the cost of a ping round (see docs/performance.md).
/// Independent requests are sent together: SSH.NET matches SFTP replies to requests by id, so a ping
/// waits for the longest chain, not for the sum. A ping on a healthy backup storage is: marker open,
/// read, close; mkdir and rmdir of a probe; statvfs (SSH.NET adds a realpath before each path request).
/// </summary>
internal static class SftpProbe
{
    /// <summary>Name prefix of the directory created and removed to prove the url is writable.</summary>
    public const string WriteTestPrefix = ".stowage-write-test.";

    /// <summary>
    /// Checks the url is an existing directory (creating it first when <paramref name="create"/>), that
    /// the login can create entries in it, reads the identity marker and the capacity.
    /// </summary>
    public static async Task<ProbeOutput> RunAsync(SftpClient sftp, SftpEndpoint endpoint, string url, bool create, CancellationToken ct)
    {
        var where = Where(url, endpoint);
        if (create)
        {
            await EnsureDirectoryAsync(sftp, endpoint, url, ct);
        }

        // Sent together. A probe directory created inside the url proves the url is an existing
        // directory too, so the url itself is only stat'ed to explain a failed probe (missing, not a
        // directory, or not writable).
        var writable = ProveWritableAsync(sftp, url, ct);
        var marker = ReadMarkerAsync(sftp, url, ct);
        var status = sftp.GetStatusAsync(url, ct);
        await Settle(writable, marker, status);
        if (!await writable)
        {
            CheckDirectory(await StatAsync(sftp, url, ct), where);
            throw NotWritable(where, endpoint);
        }

        var text = await marker;
        var capacity = Capacity(await status);
        return new ProbeOutput(capacity, text);
    }

    /// <summary>Capacity of the filesystem holding the url, which must be an existing directory.</summary>
    public static async Task<StorageCapacity> CapacityAsync(SftpClient sftp, SftpEndpoint endpoint, string url, CancellationToken ct)
    {
        var stat = StatAsync(sftp, url, ct);
        var status = sftp.GetStatusAsync(url, ct);
        await Settle(stat, status);
        CheckDirectory(await stat, Where(url, endpoint));
        return Capacity(await status);
    }

    /// <summary>
    /// Writes the marker atomically: a temporary file in the same directory, then a POSIX rename over
    /// the marker (<c>posix-rename@openssh.com</c>), so a reader never sees a partial marker.
    /// </summary>
    public static async Task WriteMarkerAsync(SftpClient sftp, SftpEndpoint endpoint, string url, string uuid, CancellationToken ct)
    {
        var where = Where(url, endpoint);
        CheckDirectory(await StatAsync(sftp, url, ct), where);
        var marker = MarkerPath(url);
        var temp = $"{marker}.tmp.{Unique()}";
        try
        {
            await using (var stream = await sftp.OpenAsync(temp, FileMode.CreateNew, FileAccess.Write, ct))
            {
                await stream.WriteAsync(Encoding.UTF8.GetBytes(uuid + "\n"), ct);
            }

            await Task.Run(() => sftp.RenameFile(temp, marker, isPosix: true), ct);
        }
        catch (SftpException ex)
        {
            await TryDeleteAsync(sftp, temp);
            throw new StorageException(StorageFailure.BadLocation, $"directory {where} is not writable by user {endpoint.Username}", ex);
        }
    }

    /// <summary>Removes the marker only if it holds <paramref name="uuid"/>; a missing directory or marker is fine.</summary>
    public static async Task RemoveMarkerAsync(SftpClient sftp, string url, string uuid, CancellationToken ct)
    {
        string? current;
        try
        {
            current = await ReadMarkerAsync(sftp, url, ct);
        }
        catch (SftpException)
        {
            return;
        }

        if (string.Equals(current, uuid, StringComparison.Ordinal))
        {
            try
            {
                await sftp.DeleteFileAsync(MarkerPath(url), ct);
            }
            catch (SftpPathNotFoundException)
            {
                // Someone else removed it meanwhile.
            }
        }
    }

    private static string Where(string url, SftpEndpoint endpoint) => $"{url} on {endpoint.Display}";

    private static string MarkerPath(string url) => url.TrimEnd('/') + "/" + RemoteCommands.MarkerFileName;

    private static string Unique() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    private static StorageException NotWritable(string where, SftpEndpoint endpoint) =>
        new(StorageFailure.BadLocation, $"directory {where} is not writable by user {endpoint.Username}");

    /// <summary>Waits for every task without throwing, so none is left unobserved when an earlier one decides the outcome.</summary>
    private static async Task Settle(params Task[] tasks)
    {
        try
        {
            await Task.WhenAll(tasks);
        }
        catch (Exception)
        {
            foreach (var t in tasks)
            {
                _ = t.Exception;
            }
        }
    }

    /// <summary>The url's attributes (symbolic links followed: SSH.NET canonicalises the path with realpath), or null when it does not exist.</summary>
    private static async Task<SftpFileAttributes?> StatAsync(SftpClient sftp, string url, CancellationToken ct)
    {
        try
        {
            return await sftp.GetAttributesAsync(url, ct);
        }
        catch (SftpPathNotFoundException)
        {
            return null;
        }
    }

    private static void CheckDirectory(SftpFileAttributes? attributes, string where)
    {
        if (attributes is null)
        {
            throw new StorageException(StorageFailure.BadLocation, $"directory {where} does not exist (was it removed, or is its filesystem not mounted?)");
        }

        if (!attributes.IsDirectory)
        {
            throw new StorageException(StorageFailure.BadLocation, $"url {where} exists and is not a directory (a regular file or another kind of file)");
        }
    }

    /// <summary>
    /// Proves the login can create entries in the url by making and removing a uniquely named
    /// subdirectory. Creating a new name needs write and search permission on the url directory and a
    /// writable filesystem, so it fails on a <c>chmod 500</c> directory, a directory owned by someone
    /// else, a read-only mount and root-squashed NFS alike; the removal needs the same permission.
    /// Cheaper probes do not: truncating an existing probe file or <c>setstat</c> on the marker need
    /// only permission on that file, and both succeed in a directory that has lost its write bit.
    /// A subdirectory is exactly what an image install creates first (<c>url/&lt;folder&gt;/&lt;file&gt;</c>),
    /// and a fresh random name never collides with a leftover or a concurrent probe.
    /// </summary>
    private static async Task<bool> ProveWritableAsync(SftpClient sftp, string url, CancellationToken ct)
    {
        var probe = url.TrimEnd('/') + "/" + WriteTestPrefix + Unique();
        try
        {
            await sftp.CreateDirectoryAsync(probe, ct);
        }
        catch (SftpException)
        {
            return false;
        }

        try
        {
            await sftp.DeleteDirectoryAsync(probe, ct);
        }
        catch (SftpException)
        {
            return false;
        }

        return true;
    }

    /// <summary>The first line of the marker, trimmed and at most <see cref="RemoteCommands.MarkerReadLimit"/> bytes; null when there is none.</summary>
    private static async Task<string?> ReadMarkerAsync(SftpClient sftp, string url, CancellationToken ct)
    {
        SftpFileStream stream;
        try
        {
            stream = await sftp.OpenAsync(MarkerPath(url), FileMode.Open, FileAccess.Read, ct);
        }
        catch (SftpPathNotFoundException)
        {
            return null;
        }

        await using (stream)
        {
            var buffer = new byte[RemoteCommands.MarkerReadLimit];
            var filled = 0;
            int n;
            while (filled < buffer.Length && (n = await stream.ReadAsync(buffer.AsMemory(filled), ct)) > 0)
            {
                filled += n;
            }

            var text = Encoding.UTF8.GetString(buffer, 0, filled);
            var end = text.IndexOf('\n', StringComparison.Ordinal);
            return (end < 0 ? text : text[..end]).Trim();
        }
    }

    /// <summary>Size and space available to the login, as <c>df -B1 --output=size,avail</c> computes them from statvfs.</summary>
    private static StorageCapacity Capacity(SftpFileSystemInformation info)
    {
        var unit = info.FileSystemBlockSize != 0 ? info.FileSystemBlockSize : info.BlockSize;
        return new StorageCapacity(checked((long)(info.TotalBlocks * unit)), checked((long)(info.AvailableBlocks * unit)));
    }

    /// <summary>Creates the url and its missing parents (mkdir -p), refusing a url that exists and is not a directory.</summary>
    private static async Task EnsureDirectoryAsync(SftpClient sftp, SftpEndpoint endpoint, string url, CancellationToken ct)
    {
        var where = Where(url, endpoint);
        var existing = await StatAsync(sftp, url, ct);
        if (existing is not null)
        {
            CheckDirectory(existing, where);
            return;
        }

        // Walk down from the deepest existing ancestor.
        var parts = url.Split('/', StringSplitOptions.RemoveEmptyEntries);
        var missingFrom = parts.Length;
        while (missingFrom > 0)
        {
            var ancestor = "/" + string.Join('/', parts.Take(missingFrom - 1));
            var attributes = await StatAsync(sftp, ancestor, ct);
            if (attributes is not null)
            {
                if (!attributes.IsDirectory)
                {
                    throw new StorageException(StorageFailure.BadLocation, $"cannot create directory {where} as user {endpoint.Username}: {ancestor} is not a directory");
                }

                break;
            }

            missingFrom--;
        }

        for (var i = missingFrom; i <= parts.Length; i++)
        {
            var path = "/" + string.Join('/', parts.Take(i));
            try
            {
                await sftp.CreateDirectoryAsync(path, ct);
            }
            catch (SftpException ex)
            {
                // A concurrent connect may have created it meanwhile.
                if (await StatAsync(sftp, path, ct) is { IsDirectory: true })
                {
                    continue;
                }

                var reason = ex is SftpPermissionDeniedException ? ": permission denied" : $": {ex.StatusCode}";
                throw new StorageException(StorageFailure.BadLocation, $"cannot create directory {where} as user {endpoint.Username}{reason}", ex);
            }
        }
    }

    private static async Task TryDeleteAsync(SftpClient sftp, string path)
    {
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await sftp.DeleteFileAsync(path, limit.Token);
        }
        catch (Exception ex) when (ex is SshException or OperationCanceledException or ObjectDisposedException)
        {
            // Best effort: a leftover temporary file is harmless.
        }
    }
}

/// <summary>What a probe found: the capacity and the marker (null when none).</summary>
internal sealed record ProbeOutput(StorageCapacity Capacity, string? Marker);
