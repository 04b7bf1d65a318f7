using System.Runtime.InteropServices;

namespace Stowage.Nfs.Native;

/// <summary>
/// The synchronous libnfs 4.0 calls (Debian libnfs13) Stowage uses; nothing else in the solution touches
/// libnfs. Every call returns 0 or a byte count on success and -errno on failure; the context's
/// <see cref="nfs_get_error"/> then says what happened. libnfs 4.0 has no locking: a context (one TCP
/// connection) must only ever be used by one thread at a time (see NfsContextPool).
/// Layouts were checked with offsetof on x86_64 (docs/reference note); only the *64 stat calls are used
/// because struct stat/statvfs differ between platforms.
/// </summary>
internal static unsafe partial class LibNfs
{
    private const string Lib = "libnfs.so.13";

    [LibraryImport(Lib)]
    internal static partial IntPtr nfs_init_context();

    [LibraryImport(Lib)]
    internal static partial void nfs_destroy_context(IntPtr nfs);

    [LibraryImport(Lib)]
    internal static partial IntPtr nfs_get_error(IntPtr nfs);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial IntPtr nfs_parse_url_dir(IntPtr nfs, string url);

    [LibraryImport(Lib)]
    internal static partial void nfs_destroy_url(IntPtr url);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int nfs_mount(IntPtr nfs, string server, string exportName);

    [LibraryImport(Lib)]
    internal static partial int nfs_umount(IntPtr nfs);

    [LibraryImport(Lib)]
    internal static partial void nfs_set_timeout(IntPtr nfs, int milliseconds);

    [LibraryImport(Lib)]
    internal static partial void nfs_set_autoreconnect(IntPtr nfs, int numRetries);

    [LibraryImport(Lib)]
    internal static partial void nfs_set_uid(IntPtr nfs, int uid);

    [LibraryImport(Lib)]
    internal static partial void nfs_set_gid(IntPtr nfs, int gid);

    [LibraryImport(Lib)]
    internal static partial ulong nfs_get_readmax(IntPtr nfs);

    [LibraryImport(Lib)]
    internal static partial ulong nfs_get_writemax(IntPtr nfs);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int nfs_statvfs64(IntPtr nfs, string path, out NfsStatVfs64 st);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int nfs_stat64(IntPtr nfs, string path, out NfsStat64 st);

    [LibraryImport(Lib)]
    internal static partial int nfs_fstat64(IntPtr nfs, IntPtr fh, out NfsStat64 st);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int nfs_mkdir2(IntPtr nfs, string path, int mode);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int nfs_rmdir(IntPtr nfs, string path);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int nfs_create(IntPtr nfs, string path, int flags, int mode, out IntPtr fh);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int nfs_open(IntPtr nfs, string path, int flags, out IntPtr fh);

    [LibraryImport(Lib)]
    internal static partial int nfs_close(IntPtr nfs, IntPtr fh);

    [LibraryImport(Lib)]
    internal static partial int nfs_fsync(IntPtr nfs, IntPtr fh);

    [LibraryImport(Lib)]
    internal static partial int nfs_pwrite(IntPtr nfs, IntPtr fh, ulong offset, ulong count, byte* buf);

    [LibraryImport(Lib)]
    internal static partial int nfs_pread(IntPtr nfs, IntPtr fh, ulong offset, ulong count, byte* buf);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int nfs_rename(IntPtr nfs, string oldPath, string newPath);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int nfs_chmod(IntPtr nfs, string path, int mode);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int nfs_unlink(IntPtr nfs, string path);

    [LibraryImport(Lib, StringMarshalling = StringMarshalling.Utf8)]
    internal static partial int nfs_opendir(IntPtr nfs, string path, out IntPtr dir);

    [LibraryImport(Lib)]
    internal static partial NfsDirent* nfs_readdir(IntPtr nfs, IntPtr dir);

    [LibraryImport(Lib)]
    internal static partial void nfs_closedir(IntPtr nfs, IntPtr dir);

    // Linux open(2) flags, as libnfs takes them.
    internal const int O_RDONLY = 0;
    internal const int O_WRONLY = 1;
    internal const int O_CREAT = 0x40;
    internal const int O_TRUNC = 0x200;

    internal const ulong S_IFMT = 0xF000;
    internal const ulong S_IFDIR = 0x4000;
}

/// <summary>struct nfs_stat_64: 17 × u64, 136 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NfsStat64
{
    public ulong Dev, Ino, Mode, Nlink, Uid, Gid, Rdev, Size, Blksize, Blocks;
    public ulong Atime, Mtime, Ctime, AtimeNsec, MtimeNsec, CtimeNsec, Used;
}

/// <summary>struct nfs_statvfs_64: 11 × u64, 88 bytes.</summary>
[StructLayout(LayoutKind.Sequential)]
internal struct NfsStatVfs64
{
    public ulong Bsize, Frsize, Blocks, Bfree, Bavail, Files, Ffree, Favail, Fsid, Flag, Namemax;
}

/// <summary>struct nfsdirent (160 bytes); only the fields Stowage reads are named, at their measured offsets.</summary>
[StructLayout(LayoutKind.Explicit, Size = 160)]
internal struct NfsDirent
{
    [FieldOffset(0)] public IntPtr Next;
    [FieldOffset(8)] public IntPtr Name;
    [FieldOffset(24)] public uint Type;
    [FieldOffset(28)] public uint Mode;
    [FieldOffset(32)] public ulong Size;
    [FieldOffset(56)] public long MtimeSec;
    [FieldOffset(64)] public long MtimeUsec;

    public const uint TypeDirectory = 2;
    public const uint TypeSymbolicLink = 5;
}
