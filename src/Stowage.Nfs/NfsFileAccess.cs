using Stowage.Core.Storage;
using Stowage.FileSystem;
using Stowage.Nfs.Native;

namespace Stowage.Nfs;

/// <summary>
/// <see cref="IFileAccess"/> over NFSv3 spoken directly through libnfs: no kernel mount, no root, no stale
/// mount point. Paths are the server's paths, as in the url (<c>/export/path/…</c>); they must lie under the
/// directory that was mounted. Calls take a context from the backup storage's pool for their duration and
/// run it on a pool thread; every call is bounded by <see cref="NfsOptions.Timeout"/>, so a dead or frozen
/// server ends in a <see cref="StorageException"/> (Unreachable or Timeout) rather than a hang.
/// Cancellation releases the caller at once; the call in progress ends within its bound before its context
/// is used again (streams stop between chunks).
/// </summary>
public sealed class NfsFileAccess : IFileAccess, IDisposable
{
    private const int DirectoryMode = 0x1ED; // 0755
    private const int FileMode = 0x1A4; // 0644
    private readonly NfsContextPool _pool;

    public NfsFileAccess(NfsLocation location, NfsOptions options)
    {
        ArgumentNullException.ThrowIfNull(location);
        ArgumentNullException.ThrowIfNull(options);
        _pool = new NfsContextPool(location, options);
    }

    public NfsLocation Location => _pool.Location;

    public Task<StorageCapacity> StatFsAsync(string path, CancellationToken cancellationToken) =>
        RunAsync(path, (c, p) => c.StatFs(p), cancellationToken);

    public Task<FileEntry?> StatAsync(string path, CancellationToken cancellationToken) =>
        RunAsync(path, (c, p) => c.Stat(p) is { } st ? ToEntry(path, st) : null, cancellationToken);

    public Task CreateDirectoryAsync(string path, CancellationToken cancellationToken) =>
        RunAsync(path, (c, p) =>
        {
            // Walk down from the mount root; an existing directory is fine, anything else there is not.
            var current = "";
            foreach (var segment in p.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                current += "/" + segment;
                if (!c.Mkdir(current, DirectoryMode) && c.Stat(current) is { } st && (st.Mode & LibNfs.S_IFMT) != LibNfs.S_IFDIR)
                {
                    throw new StorageException(StorageFailure.BadLocation, $"NFS mkdir {path}: {current} exists and is not a directory");
                }
            }
            return true;
        }, cancellationToken);

    public async Task<IReadOnlyList<FileEntry>> ListAsync(string path, CancellationToken cancellationToken) =>
        await RunAsync(path, (c, p) => (IReadOnlyList<FileEntry>?)c.ReadDirectory(p)?
            .Select(e => new FileEntry(e.Name, e.IsDirectory, e.Size, e.ModifiedUtc) { IsSymbolicLink = e.IsLink }).ToList() ?? [], cancellationToken);

    public async Task<Stream> OpenReadAsync(string path, long offset, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var lease = await _pool.RentAsync(cancellationToken);
        try
        {
            var p = ToExportPath(path, lease.Context);
            var (fh, size) = await Task.Run(() =>
            {
                var h = lease.Context.Open(p, LibNfs.O_RDONLY);
                try
                {
                    return (h, lease.Context.FileSize(h, path));
                }
                catch
                {
                    lease.Context.Close(h);
                    throw;
                }
            }, CancellationToken.None);
            return new NfsReadStream(lease, fh, path, offset, size, _pool.Options);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    public async Task<Stream> OpenWriteAsync(string path, FileWriteMode mode, CancellationToken cancellationToken)
    {
        var lease = await _pool.RentAsync(cancellationToken);
        try
        {
            var p = ToExportPath(path, lease.Context);
            var (fh, start) = await Task.Run(() =>
            {
                var flags = LibNfs.O_WRONLY | LibNfs.O_CREAT | (mode == FileWriteMode.Truncate ? LibNfs.O_TRUNC : 0);
                var h = lease.Context.Create(p, flags, FileMode);
                try
                {
                    return (h, mode == FileWriteMode.Append ? lease.Context.FileSize(h, path) : 0L);
                }
                catch
                {
                    lease.Context.Close(h);
                    throw;
                }
            }, CancellationToken.None);
            return new NfsWriteStream(lease, fh, path, start, _pool.Options);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
    }

    public Task RenameAsync(string from, string to, CancellationToken cancellationToken) =>
        RunAsync(from, (c, f) =>
        {
            c.Rename(f, ToExportPath(to, c));
            return true;
        }, cancellationToken);

    public Task DeleteFileAsync(string path, CancellationToken cancellationToken) =>
        RunAsync(path, (c, p) =>
        {
            c.Unlink(p);
            return true;
        }, cancellationToken);

    public Task DeleteDirectoryAsync(string path, CancellationToken cancellationToken) =>
        RunAsync(path, (c, p) =>
        {
            c.Rmdir(p);
            return true;
        }, cancellationToken);

    public Task ChmodAsync(string path, int mode, CancellationToken cancellationToken) =>
        RunAsync(path, (c, p) =>
        {
            c.Chmod(p, mode);
            return true;
        }, cancellationToken);

    /// <summary>Closes the idle connections; those in use close when their call or stream ends.</summary>
    public void Dispose() => _pool.Dispose();

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Runs one operation on a rented context on a pool thread. When <paramref name="cancellationToken"/> fires
    /// meanwhile the caller is released at once; the call itself runs on to its end (the timeout bounds it) and
    /// only then gives the context back, so a context is never reused while libnfs still works on it.
    /// </summary>
    private async Task<T> RunAsync<T>(string path, Func<NfsContext, string, T> operation, CancellationToken cancellationToken)
    {
        var lease = await _pool.RentAsync(cancellationToken);
        string p;
        try
        {
            cancellationToken.ThrowIfCancellationRequested();
            p = ToExportPath(path, lease.Context);
        }
        catch
        {
            lease.Dispose();
            throw;
        }
        var call = Task.Run(() =>
        {
            try
            {
                return operation(lease.Context, p);
            }
            finally
            {
                lease.Dispose();
            }
        }, CancellationToken.None);
        return await call.WaitAsync(cancellationToken);
    }

    /// <summary>The server path <paramref name="path"/> as libnfs wants it: relative to the mounted directory, starting with "/".</summary>
    internal static string ToExportPath(string path, NfsContext context) => ToExportPath(path, context.MountRoot);

    internal static string ToExportPath(string path, string mountRoot)
    {
        ArgumentNullException.ThrowIfNull(path);
        var segments = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (!path.StartsWith('/') || segments.Any(s => s is "." or ".."))
        {
            throw new StorageException(StorageFailure.BadLocation, $"NFS path {path} is not an absolute, normalised path");
        }
        var normal = "/" + string.Join('/', segments);
        if (mountRoot == "/")
        {
            return normal;
        }
        if (normal == mountRoot)
        {
            return "/";
        }
        return normal.StartsWith(mountRoot + "/", StringComparison.Ordinal)
            ? normal[mountRoot.Length..]
            : throw new StorageException(StorageFailure.BadLocation, $"NFS path {path} is outside the mounted directory {mountRoot}");
    }

    private static FileEntry ToEntry(string path, NfsStat64 st)
    {
        var name = path.TrimEnd('/');
        name = name[(name.LastIndexOf('/') + 1)..];
        var modified = DateTime.UnixEpoch.AddSeconds(st.Mtime).AddTicks((long)(st.MtimeNsec / 100));
        return new FileEntry(name, (st.Mode & LibNfs.S_IFMT) == LibNfs.S_IFDIR, (long)st.Size, modified);
    }
}
