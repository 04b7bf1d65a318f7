using Stowage.Core.Storage;

namespace Stowage.FileSystem;

/// <summary>The image data path of the filesystem family: streamed writes, resumable uploads, reads and deletes.</summary>
public abstract partial class FileStoreDriver
{
    /// <summary>There is no storage host to pull a url: the caller streams the source (image/download.mode Auto or Stream).</summary>
    public virtual Task<ImageFileFacts> DownloadFromUrlAsync(BackupStorageTarget target, ImageDownload download, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        throw new StorageException(StorageFailure.SourceUnreachable, $"{Type} has no storage host to pull the url; Stowage streams the source itself");

    /// <summary>No storage host of its own to run a copy on: callers fall back as for any other type (see <see cref="IImageStore.CopyFromHostFileAsync"/>).</summary>
    public virtual Task<ImageFileFacts> CopyFromHostFileAsync(BackupStorageTarget target, string hostPath, string installPath, ImageExpectations expect, IProgress<TransferProgress>? progress, CancellationToken cancellationToken) =>
        throw new StorageException(StorageFailure.SourceUnreachable, $"{Type} cannot copy files on a storage host");

    public async Task<ImageFileFacts> WriteFromStreamAsync(BackupStorageTarget target, Stream source, string installPath, ImageExpectations expect, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(expect);
        var access = Access(target);
        string file, folder;
        try
        {
            file = PathOf(target, installPath);
            folder = Parent(file);
            await CreateFolderAsync(access, target, folder, cancellationToken);
        }
        catch (StorageException e)
        {
            throw Fail(target, e);
        }

        var part = file + PartSuffix;
        var kept = false;
        try
        {
            CopyDigests digests;
            await using (var output = await access.OpenWriteAsync(part, FileWriteMode.Truncate, cancellationToken))
            {
                digests = await HashingCopy.CopyAsync(source, output, progress, stopOnSourceError: false, cancellationToken);
                await output.FlushAsync(cancellationToken);
            }

            var facts = await FinishAsync(target, access, part, file, installPath, digests, expect, cancellationToken);
            kept = true;
            return facts;
        }
        catch (StorageException e)
        {
            throw Fail(target, e);
        }
        finally
        {
            if (!kept)
            {
                await DiscardAsync(access, part, folder);
            }
        }
    }

    public async Task<UploadChunk> WriteUploadChunkAsync(BackupStorageTarget target, Stream source, string installPath, long offset, long total, ImageExpectations expect, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(expect);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var access = Access(target);
        try
        {
            var file = PathOf(target, installPath);
            var upload = file + UploadSuffix;
            var folder = Parent(file);
            await CreateFolderAsync(access, target, folder, cancellationToken);
            if (offset > 0)
            {
                var held = (await access.StatAsync(upload, cancellationToken))?.Size ?? 0;
                if (held != offset)
                {
                    throw new StorageException(StorageFailure.SourceFailed, $"the partial upload on {Where(target)} holds {held} bytes, not the offset of this piece");
                }
            }

            // The client going away mid-body keeps what arrived (synced) for a resume.
            CopyDigests digests;
            await using (var output = await access.OpenWriteAsync(upload, offset == 0 ? FileWriteMode.Truncate : FileWriteMode.Append, cancellationToken))
            {
                digests = await HashingCopy.CopyAsync(source, output, null, stopOnSourceError: true, cancellationToken);
                await output.FlushAsync(cancellationToken);
            }

            var size = (await access.StatAsync(upload, cancellationToken))?.Size ?? 0;
            if (size < total)
            {
                return new UploadChunk(size, null);
            }

            var finished = false;
            try
            {
                // One piece from the start carries the whole file's digests; otherwise the file is read once more.
                if (offset != 0 || digests.Bytes != size)
                {
                    await using var whole = await access.OpenReadAsync(upload, 0, cancellationToken);
                    digests = await HashingCopy.HashAsync(whole, cancellationToken);
                }

                var facts = await FinishAsync(target, access, upload, file, installPath, digests, expect with { Size = total }, cancellationToken);
                finished = true;
                return new UploadChunk(size, facts);
            }
            finally
            {
                if (!finished)
                {
                    await DiscardAsync(access, upload, folder);
                }
            }
        }
        catch (StorageException e)
        {
            throw Fail(target, e);
        }
    }

    public async Task<long> GetUploadedSizeAsync(BackupStorageTarget target, string installPath, CancellationToken cancellationToken)
    {
        try
        {
            var upload = PathOf(target, installPath) + UploadSuffix;
            return (await Access(target).StatAsync(upload, cancellationToken))?.Size ?? 0;
        }
        catch (StorageException e)
        {
            throw Fail(target, e);
        }
    }

    /// <summary>Removes the image folder holding the install path (one image per folder), read-only files included; a missing one is fine.</summary>
    public async Task DeleteImageAsync(BackupStorageTarget target, string installPath, CancellationToken cancellationToken)
    {
        try
        {
            var access = Access(target);
            var folder = Parent(PathOf(target, installPath));
            if (await access.StatAsync(folder, cancellationToken) is { IsDirectory: true })
            {
                await DeleteTreeAsync(access, folder, cancellationToken);
            }
        }
        catch (StorageException e)
        {
            throw Fail(target, e);
        }
    }

    public async Task<bool> MoveImageAsync(BackupStorageTarget target, string from, string to, CancellationToken cancellationToken)
    {
        try
        {
            var access = Access(target);
            var (source, destination) = (PathOf(target, from), PathOf(target, to));
            await CreateFolderAsync(access, target, Parent(destination), cancellationToken);
            await access.RenameAsync(source, destination, cancellationToken);
            var left = Parent(source);
            if ((await access.ListAsync(left, cancellationToken)).Count == 0)
            {
                await access.DeleteDirectoryAsync(left, cancellationToken);
                var account = Parent(left);
                if (Path.GetFileName(account).StartsWith("acct-", StringComparison.Ordinal) && (await access.ListAsync(account, cancellationToken)).Count == 0)
                {
                    await access.DeleteDirectoryAsync(account, cancellationToken);
                }
            }

            return true;
        }
        catch (StorageException e)
        {
            throw Fail(target, e);
        }
    }

    public async Task<Stream> OpenReadAsync(BackupStorageTarget target, string installPath, long offset, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        try
        {
            var access = Access(target);
            var file = PathOf(target, installPath);
            if (await access.StatAsync(file, cancellationToken) is not { IsDirectory: false })
            {
                throw new StorageException(StorageFailure.BadLocation, $"image file {installPath} is not on {Where(target)}");
            }

            return await access.OpenReadAsync(file, offset, cancellationToken);
        }
        catch (StorageException e)
        {
            throw Fail(target, e);
        }
    }

    /// <summary>The install path's file in the access path space: it must lie in its own folder strictly inside the url.</summary>
    protected string PathOf(BackupStorageTarget target, string installPath)
    {
        ArgumentNullException.ThrowIfNull(installPath);
        var url = target.Url.TrimEnd('/');
        var root = Root(target);
        var rest = installPath.StartsWith(url + "/", StringComparison.Ordinal) ? installPath[url.Length..] : string.Empty;
        var segments = rest.Split('/', StringSplitOptions.None);
        if (rest.Length == 0 || segments.Length < 3 || segments.Skip(1).Any(s => s is "" or "." or "..") || rest.Contains('\0', StringComparison.Ordinal))
        {
            throw new StorageException(StorageFailure.BadLocation, $"install path {installPath} is not inside backup storage directory {target.Url}");
        }

        return root + rest;
    }

    /// <summary>Format and virtual size of a finished file; the base reads its header through the access layer.</summary>
    protected virtual async Task<FormatFacts> ProbeFormatAsync(BackupStorageTarget target, IFileAccess access, string path, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(access);
        await using var stream = await access.OpenReadAsync(path, 0, cancellationToken);
        return await ImageFormat.DetectAsync(stream, cancellationToken);
    }

    protected static string Parent(string path) => path[..path.TrimEnd('/').LastIndexOf('/')];

    /// <summary>Verify size and digests, read the format, make read-only, rename into place.</summary>
    private async Task<ImageFileFacts> FinishAsync(BackupStorageTarget target, IFileAccess access, string temp, string file, string installPath, CopyDigests digests, ImageExpectations expect, CancellationToken ct)
    {
        var size = (await access.StatAsync(temp, ct))?.Size
            ?? throw new StorageException(StorageFailure.CommandFailed, $"the file being written vanished from {Where(target)}");
        if (expect.Size is { } announced && size != announced)
        {
            throw new StorageException(StorageFailure.SourceFailed, $"the downloaded file has {size} bytes, not the size the source announced ({announced})");
        }

        if (!string.IsNullOrEmpty(expect.Md5) && !string.Equals(digests.Md5, expect.Md5, StringComparison.OrdinalIgnoreCase))
        {
            throw new StorageException(StorageFailure.SourceFailed, $"md5 checksum mismatch: the file has {digests.Md5}");
        }

        if (!string.IsNullOrEmpty(expect.Sha256) && !string.Equals(digests.Sha256, expect.Sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new StorageException(StorageFailure.SourceFailed, $"sha256 checksum mismatch: the file has {digests.Sha256}");
        }

        var format = await ProbeFormatAsync(target, access, temp, ct);
        await access.ChmodAsync(temp, ReadOnlyMode, ct);
        await access.RenameAsync(temp, file, ct);
        return new ImageFileFacts(installPath, size, format.VirtualSize ?? size, format.Format, digests.Md5, digests.Sha256);
    }

    private async Task CreateFolderAsync(IFileAccess access, BackupStorageTarget target, string folder, CancellationToken ct)
    {
        try
        {
            await access.CreateDirectoryAsync(folder, ct);
        }
        catch (StorageException e) when (e.Failure is not (StorageFailure.Unreachable or StorageFailure.Timeout or StorageFailure.NoSpace))
        {
            throw new StorageException(StorageFailure.BadLocation, $"cannot create the image folder on {Where(target)}: {e.Message}", e);
        }
    }

    /// <summary>Removes a directory and everything below it; symbolic links are removed, never followed.</summary>
    private static async Task DeleteTreeAsync(IFileAccess access, string directory, CancellationToken ct)
    {
        foreach (var entry in await access.ListAsync(directory, ct))
        {
            var path = Join(directory, entry.Name);
            if (entry.IsDirectory && !entry.IsSymbolicLink)
            {
                await DeleteTreeAsync(access, path, ct);
            }
            else
            {
                await access.DeleteFileAsync(path, ct);
            }
        }

        await access.DeleteDirectoryAsync(directory, ct);
    }
}
