using System.Text;
using Stowage.Core.Storage;

namespace Stowage.FileSystem;

/// <summary>Listing, deleting and the metadata file (sweeper, trash, import), with the SFTP type's rules.</summary>
public abstract partial class FileStoreDriver
{
    /// <summary>The most files one listing returns; beyond it the sweep fails rather than act on half a picture.</summary>
    private const int MaxListedFiles = 1_000_000;

    /// <summary>Every regular file under the image folders (not through a symbolically linked folder), paths relative to the url.</summary>
    public async Task<IReadOnlyList<StoredFile>> ListImageFilesAsync(BackupStorageTarget target, CancellationToken cancellationToken)
    {
        try
        {
            var access = Access(target);
            var root = Root(target);
            await CheckDirectoryAsync(access, target, root, cancellationToken);
            var top = await access.ListAsync(root, cancellationToken);
            var files = new List<StoredFile>();
            foreach (var folder in IStorageHousekeeping.ImageRoots)
            {
                if (top.Any(e => e.Name == folder && e.IsDirectory && !e.IsSymbolicLink))
                {
                    await WalkAsync(access, Join(root, folder), folder, files, cancellationToken);
                }
            }

            return files;
        }
        catch (StorageException e)
        {
            throw Fail(target, e);
        }
    }

    /// <summary>
    /// Removes a path given relative to the url (inside an image folder), then the folders left empty above it
    /// up to the image folder. A path whose folders pass through a symbolic link is refused (it could resolve
    /// outside the url); a link as the last component is removed itself.
    /// </summary>
    public async Task DeletePathAsync(BackupStorageTarget target, string relativePath, CancellationToken cancellationToken)
    {
        try
        {
            var root = Root(target);
            if (!IStorageHousekeeping.IsSafeImagePath(relativePath))
            {
                throw new StorageException(StorageFailure.BadLocation, $"path {relativePath} is not inside an image folder of backup storage directory {target.Url}");
            }

            var access = Access(target);
            await CheckDirectoryAsync(access, target, root, cancellationToken);
            var parts = relativePath.Split('/');
            var directory = root;
            FileEntry? entry = null;
            for (var i = 0; i < parts.Length; i++)
            {
                entry = (await access.ListAsync(directory, cancellationToken)).FirstOrDefault(e => e.Name == parts[i]);
                if (entry is null)
                {
                    return;
                }

                if (i < parts.Length - 1 && (entry.IsSymbolicLink || !entry.IsDirectory))
                {
                    throw new StorageException(StorageFailure.BadLocation, $"path {relativePath} resolves outside backup storage directory {Where(target)}");
                }

                directory = Join(directory, parts[i]);
            }

            if (entry is { IsDirectory: true, IsSymbolicLink: false })
            {
                await DeleteTreeAsync(access, directory, cancellationToken);
            }
            else
            {
                await access.DeleteFileAsync(directory, cancellationToken);
            }

            for (var depth = parts.Length - 1; depth >= 2; depth--)
            {
                try
                {
                    await access.DeleteDirectoryAsync(Join(root, string.Join('/', parts.Take(depth))), cancellationToken);
                }
                catch (StorageException)
                {
                    break;
                }
            }
        }
        catch (StorageException e)
        {
            throw Fail(target, e);
        }
    }

    public async Task<string?> ReadMetadataAsync(BackupStorageTarget target, CancellationToken cancellationToken)
    {
        try
        {
            var access = Access(target);
            var root = Root(target);
            await CheckDirectoryAsync(access, target, root, cancellationToken);
            var path = Join(root, MetadataFileName);
            var entry = await access.StatAsync(path, cancellationToken);
            if (entry is null || entry.IsDirectory)
            {
                return null;
            }

            if (entry.Size >= MaxMetadata)
            {
                throw new StorageException(StorageFailure.CommandFailed, $"the image metadata file of {Where(target)} is larger than {MaxMetadata} bytes");
            }

            return Encoding.UTF8.GetString(await ReadAllAsync(access, path, MaxMetadata, cancellationToken));
        }
        catch (StorageException e)
        {
            throw Fail(target, e);
        }
    }

    /// <summary>Replaces the metadata file atomically (temporary file in the url, synced, renamed); empty content leaves a missing file missing.</summary>
    public async Task WriteMetadataAsync(BackupStorageTarget target, string content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        try
        {
            var access = Access(target);
            var root = Root(target);
            await CheckDirectoryAsync(access, target, root, cancellationToken);
            var path = Join(root, MetadataFileName);
            if (content.Length == 0 && await access.StatAsync(path, cancellationToken) is null)
            {
                return;
            }

            var temp = $"{path}.tmp.{Unique()}";
            try
            {
                await WriteAllAsync(access, temp, Encoding.UTF8.GetBytes(content), cancellationToken);
                await access.RenameAsync(temp, path, cancellationToken);
            }
            catch (Exception e) when (e is StorageException or OperationCanceledException)
            {
                await DiscardAsync(access, temp, null);
                throw;
            }
        }
        catch (StorageException e)
        {
            throw Fail(target, e);
        }
    }

    private static async Task WalkAsync(IFileAccess access, string directory, string relative, List<StoredFile> files, CancellationToken ct)
    {
        foreach (var entry in await access.ListAsync(directory, ct))
        {
            if (entry.IsSymbolicLink)
            {
                continue;
            }

            var rel = relative + "/" + entry.Name;
            if (entry.IsDirectory)
            {
                await WalkAsync(access, Join(directory, entry.Name), rel, files, ct);
            }
            else
            {
                if (files.Count >= MaxListedFiles)
                {
                    throw new StorageException(StorageFailure.CommandFailed, $"more than {MaxListedFiles} files under the image folders");
                }

                files.Add(new StoredFile(rel, entry.Size, entry.ModifiedUtc));
            }
        }
    }
}
