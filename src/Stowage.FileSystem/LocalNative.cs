using System.Runtime.InteropServices;
using Stowage.Core.Storage;

namespace Stowage.FileSystem;

/// <summary>
/// The two libc calls System.IO has no exact counterpart for: statvfs (DriveInfo computes available space
/// from f_bsize, which differs from the fragment size f_frsize on some filesystems, and needs a mount
/// point) and realpath (every symbolic link of every component resolved, like <c>readlink -f</c>).
/// </summary>
internal static partial class LocalNative
{
    /// <summary>Capacity as <c>df -B1 --output=size,avail</c> computes it: f_blocks and f_bavail times f_frsize (root-reserved blocks count as used).</summary>
    public static StorageCapacity StatVfs(string path)
    {
        if (!Environment.Is64BitProcess)
        {
            throw new PlatformNotSupportedException("statvfs is read with the 64-bit Linux layout");
        }

        if (StatVfsNative(path, out var s) != 0)
        {
            throw LocalFailures.FromErrno(Marshal.GetLastPInvokeError(), $"cannot read the capacity of {path}");
        }

        var unit = s.Frsize != 0 ? s.Frsize : s.Bsize;
        return new StorageCapacity(checked((long)(s.Blocks * unit)), checked((long)(s.Bavail * unit)));
    }

    /// <summary>The canonical absolute path, every symbolic link resolved; null when a component does not exist.</summary>
    public static string? RealPath(string path)
    {
        var p = RealPathNative(path, 0);
        if (p == 0)
        {
            return null;
        }

        try
        {
            return Marshal.PtrToStringUTF8(p);
        }
        finally
        {
            Free(p);
        }
    }

    /// <summary>
    /// Starts writeback of a written range without waiting for it (<c>sync_file_range(SYNC_FILE_RANGE_WRITE)</c>), so
    /// the disk works while more bytes arrive and the final fsync has little left to do. Best effort: a failure is
    /// ignored, the fsync still makes the file durable.
    /// </summary>
    public static void StartWriteback(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long offset, long length) =>
        SyncRange(handle, offset, length, SyncFileRangeWrite, dropBehind: false);

    /// <summary>
    /// Waits for the writeback of an earlier range (started by <see cref="StartWriteback"/>) and drops its pages from
    /// the page cache (drop-behind): the dirty and under-writeback bytes stay a few chunks whatever the size of the
    /// file, so the writer is not throttled against the kernel's dirty limits and the final fsync finds little left.
    /// Best effort, like <see cref="StartWriteback"/>.
    /// </summary>
    public static void FinishWriteback(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long offset, long length) =>
        SyncRange(handle, offset, length, SyncFileRangeWaitBefore | SyncFileRangeWrite | SyncFileRangeWaitAfter, dropBehind: true);

    private static void SyncRange(Microsoft.Win32.SafeHandles.SafeFileHandle handle, long offset, long length, uint flags, bool dropBehind)
    {
        var added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var fd = handle.DangerousGetHandle().ToInt32();
            if (SyncFileRange(fd, offset, length, flags) == 0 && dropBehind)
            {
                _ = PosixFadvise(fd, offset, length, PosixFadvDontNeed);
            }
        }
        catch (EntryPointNotFoundException)
        {
            // Not Linux: the fsync does it all.
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private const uint SyncFileRangeWaitBefore = 1;
    private const uint SyncFileRangeWrite = 2;
    private const uint SyncFileRangeWaitAfter = 4;
    private const int PosixFadvDontNeed = 4;

    [LibraryImport("libc", EntryPoint = "posix_fadvise")]
    private static partial int PosixFadvise(int fd, long offset, long length, int advice);

    [LibraryImport("libc", EntryPoint = "sync_file_range")]
    private static partial int SyncFileRange(int fd, long offset, long length, uint flags);

    [LibraryImport("libc", EntryPoint = "statvfs", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int StatVfsNative(string path, out StatVfsBuffer buffer);

    [LibraryImport("libc", EntryPoint = "realpath", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial nint RealPathNative(string path, nint resolved);

    [LibraryImport("libc", EntryPoint = "free")]
    private static partial void Free(nint pointer);

    /// <summary>
    /// struct statvfs of 64-bit glibc and musl: the five leading fields are the same in both; the rest is
    /// padding, larger than either layout (112 bytes), so the call never writes past the buffer.
    /// </summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct StatVfsBuffer
    {
        public ulong Bsize;
        public ulong Frsize;
        public ulong Blocks;
        public ulong Bfree;
        public ulong Bavail;
#pragma warning disable CS0169, IDE0051 // written by statvfs, never read
        private ulong _files, _ffree, _favail, _fsid, _flag, _namemax, _spare0, _spare1, _spare2, _spare3, _spare4, _spare5, _spare6, _spare7, _spare8, _spare9;
#pragma warning restore CS0169, IDE0051
    }
}
