using System.Globalization;
using System.Runtime.InteropServices;
using Stowage.Core.Storage;
using Stowage.Nfs.Native;

namespace Stowage.Nfs;

/// <summary>
/// One libnfs context: one TCP connection with the export mounted. Not thread-safe (libnfs 4.0 has no
/// locking): the pool hands it to one caller at a time. Every call is bounded by the context's timeout;
/// a call that timed out or lost the connection marks the context <see cref="Broken"/> so the pool
/// destroys it instead of handing it out again. Paths are inside the mounted export ("/" is its root).
/// </summary>
internal sealed unsafe class NfsContext : IDisposable
{
    private IntPtr _ctx;

    private NfsContext(IntPtr ctx, string mountRoot)
    {
        _ctx = ctx;
        MountRoot = mountRoot;
    }

    /// <summary>The path on the server that was mounted (the export or a directory below it).</summary>
    public string MountRoot { get; }

    /// <summary>A call timed out or the connection failed; the context must not be reused.</summary>
    public bool Broken { get; private set; }

    private int _timeoutMs;
    private int _commitTimeoutMs;

    public static NfsContext Connect(NfsLocation location, NfsOptions options, string mountRoot)
    {
        var ctx = LibNfs.nfs_init_context();
        if (ctx == IntPtr.Zero)
        {
            throw new StorageException(StorageFailure.CommandFailed, "libnfs could not create a context");
        }
        try
        {
            LibNfs.nfs_set_timeout(ctx, options.TimeoutMilliseconds);
            LibNfs.nfs_set_uid(ctx, options.Uid);
            LibNfs.nfs_set_gid(ctx, options.Gid);
            SetPorts(ctx, location);
            var server = location.Server.Trim('[', ']');
            var rc = LibNfs.nfs_mount(ctx, server, mountRoot);
            if (rc < 0)
            {
                throw NfsErrors.Exception(rc, ErrorOf(ctx), "mount", $"{location.Server}:{mountRoot}");
            }
            return new NfsContext(ctx, mountRoot) { _timeoutMs = options.TimeoutMilliseconds, _commitTimeoutMs = options.CommitTimeoutMilliseconds };
        }
        catch
        {
            LibNfs.nfs_destroy_context(ctx);
            throw;
        }
    }

    /// <summary>libnfs 4.0 takes fixed ports only as url options; parsing a url sets them on the context.</summary>
    private static void SetPorts(IntPtr ctx, NfsLocation location)
    {
        var query = new List<string>(2);
        if (location.NfsPort is { } nfs)
        {
            query.Add(string.Create(CultureInfo.InvariantCulture, $"nfsport={nfs}"));
        }
        if (location.MountPort is { } mount)
        {
            query.Add(string.Create(CultureInfo.InvariantCulture, $"mountport={mount}"));
        }
        if (query.Count == 0)
        {
            return;
        }
        // Only the options matter; server and path of this url are placeholders and never used.
        var url = LibNfs.nfs_parse_url_dir(ctx, "nfs://localhost/x?" + string.Join('&', query));
        if (url == IntPtr.Zero)
        {
            throw new StorageException(StorageFailure.CommandFailed, $"libnfs refused the port options: {ErrorOf(ctx)}");
        }
        LibNfs.nfs_destroy_url(url);
    }

    public ulong ReadMax => LibNfs.nfs_get_readmax(Handle);

    public ulong WriteMax => LibNfs.nfs_get_writemax(Handle);

    public StorageCapacity StatFs(string path)
    {
        Check(LibNfs.nfs_statvfs64(Handle, path, out var st), "statfs", path);
        return new StorageCapacity(checked((long)(st.Blocks * st.Frsize)), checked((long)(st.Bavail * st.Frsize)));
    }

    /// <summary>The attributes of <paramref name="path"/>, or null when it does not exist.</summary>
    public NfsStat64? Stat(string path)
    {
        var rc = LibNfs.nfs_stat64(Handle, path, out var st);
        if (rc == -NfsErrors.ENOENT)
        {
            return null;
        }
        Check(rc, "stat", path);
        return st;
    }

    /// <summary>Creates one directory; returns false when something already exists there.</summary>
    public bool Mkdir(string path, int mode)
    {
        var rc = LibNfs.nfs_mkdir2(Handle, path, mode);
        if (rc == -NfsErrors.EEXIST)
        {
            return false;
        }
        Check(rc, "mkdir", path);
        return true;
    }

    public void Rmdir(string path)
    {
        var rc = LibNfs.nfs_rmdir(Handle, path);
        if (rc != -NfsErrors.ENOENT)
        {
            Check(rc, "rmdir", path);
        }
    }

    public void Unlink(string path)
    {
        var rc = LibNfs.nfs_unlink(Handle, path);
        if (rc != -NfsErrors.ENOENT)
        {
            Check(rc, "unlink", path);
        }
    }

    public void Rename(string from, string to) => Check(LibNfs.nfs_rename(Handle, from, to), "rename", $"{from} -> {to}");

    public void Chmod(string path, int mode) => Check(LibNfs.nfs_chmod(Handle, path, mode), "chmod", path);

    /// <summary>The entries of a directory without "." and ".." (each described itself: a link is a link), or null when it does not exist.</summary>
    public List<(string Name, bool IsDirectory, bool IsLink, long Size, DateTime ModifiedUtc)>? ReadDirectory(string path)
    {
        var rc = LibNfs.nfs_opendir(Handle, path, out var dir);
        if (rc == -NfsErrors.ENOENT)
        {
            return null;
        }
        Check(rc, "opendir", path);
        try
        {
            var entries = new List<(string, bool, bool, long, DateTime)>();
            for (var e = LibNfs.nfs_readdir(Handle, dir); e != null; e = LibNfs.nfs_readdir(Handle, dir))
            {
                var name = Marshal.PtrToStringUTF8(e->Name) ?? "";
                if (name is "." or ".." or "")
                {
                    continue;
                }
                var modified = DateTime.UnixEpoch.AddSeconds(e->MtimeSec).AddTicks(e->MtimeUsec * 10);
                entries.Add((name, e->Type == NfsDirent.TypeDirectory, e->Type == NfsDirent.TypeSymbolicLink, (long)e->Size, modified));
            }
            return entries;
        }
        finally
        {
            LibNfs.nfs_closedir(Handle, dir);
        }
    }

    public IntPtr Create(string path, int flags, int mode)
    {
        Check(LibNfs.nfs_create(Handle, path, flags, mode, out var fh), "create", path);
        return fh;
    }

    public IntPtr Open(string path, int flags)
    {
        Check(LibNfs.nfs_open(Handle, path, flags, out var fh), "open", path);
        return fh;
    }

    public long FileSize(IntPtr fh, string path)
    {
        Check(LibNfs.nfs_fstat64(Handle, fh, out var st), "fstat", path);
        return (long)st.Size;
    }

    /// <summary>Reads up to <paramref name="buffer"/>.Length bytes at <paramref name="offset"/>; 0 at the end of the file.</summary>
    public int Read(IntPtr fh, long offset, Span<byte> buffer, string path)
    {
        fixed (byte* p = buffer)
        {
            return Check(LibNfs.nfs_pread(Handle, fh, (ulong)offset, (ulong)buffer.Length, p), "read", path);
        }
    }

    /// <summary>Writes all of <paramref name="data"/> at <paramref name="offset"/> (a short write is continued).</summary>
    public void WriteAll(IntPtr fh, long offset, ReadOnlySpan<byte> data, string path)
    {
        fixed (byte* p = data)
        {
            var done = 0;
            while (done < data.Length)
            {
                var rc = LibNfs.nfs_pwrite(Handle, fh, (ulong)(offset + done), (ulong)(data.Length - done), p + done);
                if (rc == -NfsErrors.EFAULT && NoRoomFor(data.Length - done))
                {
                    // libnfs 4.0 reports every failed WRITE3 reply as EFAULT and loses the NFS status
                    // (NFS3ERR_NOSPC included); an export without room for the rest is the likely cause.
                    throw new StorageException(StorageFailure.NoSpace, $"NFS write {path}: no space left on the NFS export (errno {NfsErrors.EFAULT}: {ErrorOf(_ctx)})");
                }
                var n = Check(rc, "write", path);
                if (n == 0)
                {
                    throw new StorageException(StorageFailure.CommandFailed, $"NFS write {path}: the server accepted no bytes");
                }
                done += n;
            }
        }
    }

    private bool NoRoomFor(int bytes) =>
        LibNfs.nfs_statvfs64(Handle, "/", out var st) >= 0 && st.Bavail * st.Frsize < (ulong)bytes;

    /// <summary>COMMIT: the server has the written bytes on stable storage when this returns.</summary>
    public void Fsync(IntPtr fh, string path)
    {
        LibNfs.nfs_set_timeout(Handle, _commitTimeoutMs);
        try
        {
            Check(LibNfs.nfs_fsync(Handle, fh), "commit", path);
        }
        finally
        {
            LibNfs.nfs_set_timeout(Handle, _timeoutMs);
        }
    }

    /// <summary>Frees a file handle (NFSv3 has no close on the wire, so this cannot hang).</summary>
    public void Close(IntPtr fh)
    {
        if (_ctx != IntPtr.Zero && fh != IntPtr.Zero)
        {
            _ = LibNfs.nfs_close(_ctx, fh);
        }
    }

    public void Dispose()
    {
        var ctx = _ctx;
        _ctx = IntPtr.Zero;
        if (ctx != IntPtr.Zero)
        {
            // No umount: it is one more call to a server that may be gone, and v3 MOUNT state is advisory.
            LibNfs.nfs_destroy_context(ctx);
        }
    }

    private IntPtr Handle => _ctx != IntPtr.Zero ? _ctx : throw new ObjectDisposedException(nameof(NfsContext));

    private int Check(int rc, string operation, string path)
    {
        if (rc >= 0)
        {
            return rc;
        }
        var ex = NfsErrors.Exception(rc, ErrorOf(_ctx), operation, path);
        if (ex.Retryable)
        {
            Broken = true;
        }
        throw ex;
    }

    private static string ErrorOf(IntPtr ctx) => Marshal.PtrToStringUTF8(LibNfs.nfs_get_error(ctx)) ?? "";
}
