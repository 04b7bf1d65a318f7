using System.Globalization;
using System.Text;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>Listing, deleting and the metadata file of the SFTP driver (sweeper, trash, import).</summary>
public sealed partial class SftpBackupStorageDriver : IStorageHousekeeping
{
    /// <summary>The most a listing or the metadata file may print; beyond it the operation fails rather than act on half a picture.</summary>
    private const int MaxListing = 32 * 1024 * 1024;

    public async Task<IReadOnlyList<StoredFile>> ListImageFilesAsync(BackupStorageTarget target, CancellationToken cancellationToken)
    {
        var (endpoint, url) = Resolve(target);
        var result = await RunAsync(target, endpoint, RemoteCommands.ListImageFiles(url), cancellationToken, stdoutLimit: MaxListing);
        Check(result, target, endpoint, url);
        if (Encoding.UTF8.GetByteCount(result.Stdout) >= MaxListing)
        {
            throw Fail(target, new StorageException(StorageFailure.CommandFailed, $"the listing of {url} on {endpoint.Display} is larger than {MaxListing} bytes"));
        }

        var files = new List<StoredFile>();
        foreach (var entry in result.Stdout.Split('\0', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = entry.Split(' ', 3);
            if (parts.Length == 3
                && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var size)
                && double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var mtime))
            {
                files.Add(new StoredFile(parts[2], size, DateTime.UnixEpoch.AddSeconds(mtime)));
            }
        }

        return files;
    }

    public async Task DeletePathAsync(BackupStorageTarget target, string relativePath, CancellationToken cancellationToken)
    {
        var (endpoint, url) = Resolve(target);
        if (!IStorageHousekeeping.IsSafeImagePath(relativePath))
        {
            throw Fail(target, new StorageException(StorageFailure.BadLocation, $"path {relativePath} is not inside an image folder of backup storage directory {url}"));
        }

        var result = await RunAsync(target, endpoint, RemoteCommands.DeletePath(url, relativePath), cancellationToken);
        if (result.ExitStatus == RemoteCommands.ExitOutsideUrl)
        {
            throw Fail(target, new StorageException(StorageFailure.BadLocation, $"path {relativePath} resolves outside backup storage directory {url} on {endpoint.Display}"));
        }

        if (result.ExitStatus == RemoteCommands.ExitDeletePathFailed)
        {
            throw Fail(target, new StorageException(StorageFailure.CommandFailed,
                $"cannot delete {url}/{relativePath} on {endpoint.Display}: {SshFailures.Safe(result.Stderr.Trim(), endpoint)}"));
        }

        Check(result, target, endpoint, url);
    }

    public async Task<string?> ReadMetadataAsync(BackupStorageTarget target, CancellationToken cancellationToken)
    {
        var (endpoint, url) = Resolve(target);
        var result = await RunAsync(target, endpoint, RemoteCommands.ReadMetadata(url), cancellationToken, stdoutLimit: MaxListing);
        Check(result, target, endpoint, url);
        return RemoteCommands.ParseMetadata(result.Stdout);
    }

    public async Task WriteMetadataAsync(BackupStorageTarget target, string content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var (endpoint, url) = Resolve(target);
        var result = await RunAsync(target, endpoint, RemoteCommands.WriteMetadata(url, content.Length == 0), cancellationToken, content.Length == 0 ? null : Encoding.UTF8.GetBytes(content));
        Check(result, target, endpoint, url);
    }

    /// <summary>Maps a housekeeping script's exit status to a failure with the reason.</summary>
    private void Check(ExecResult result, BackupStorageTarget target, SftpEndpoint endpoint, string url)
    {
        if (result.ExitStatus == 0)
        {
            return;
        }

        var stderr = SshFailures.Safe(result.Stderr.Trim(), endpoint);
        var detail = stderr.Length == 0 ? string.Empty : $": {stderr}";
        var where = $"{url} on {endpoint.Display}";
        throw Fail(target, result.ExitStatus switch
        {
            RemoteCommands.ExitNotWritable => new StorageException(StorageFailure.BadLocation, $"directory {where} is not writable by user {endpoint.Username}"),
            RemoteCommands.ExitMissingDirectory => new StorageException(StorageFailure.BadLocation, $"directory {where} does not exist"),
            null => new StorageException(StorageFailure.CommandFailed, $"a command on {endpoint.Display} was killed{detail}"),
            _ => new StorageException(StorageFailure.CommandFailed, $"a command on {endpoint.Display} failed with exit status {result.ExitStatus}{detail}"),
        });
    }
}
