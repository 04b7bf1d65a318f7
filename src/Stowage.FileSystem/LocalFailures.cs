using Stowage.Core.Storage;

namespace Stowage.FileSystem;

/// <summary>
/// Maps what System.IO and libc report to <see cref="StorageException"/> kinds. On Unix .NET throws
/// UnauthorizedAccessException for EACCES/EPERM, FileNotFound/DirectoryNotFoundException for ENOENT and an
/// IOException whose HResult is the raw errno for the rest (ENOSPC, EROFS, EIO, ESTALE…).
/// </summary>
internal static class LocalFailures
{
    private const int EPERM = 1;
    private const int ENOENT = 2;
    private const int EIO = 5;
    private const int EACCES = 13;
    private const int EEXIST = 17;
    private const int ENOTDIR = 20;
    private const int EISDIR = 21;
    private const int EFBIG = 27;
    private const int ENOSPC = 28;
    private const int EROFS = 30;
    private const int ENAMETOOLONG = 36;
    private const int ENOTEMPTY = 39;
    private const int ELOOP = 40;
    private const int ENOTCONN = 107;
    private const int ETIMEDOUT = 110;
    private const int EHOSTDOWN = 112;
    private const int EHOSTUNREACH = 113;
    private const int ESTALE = 116;
    private const int EDQUOT = 122;

    /// <summary>Whether <paramref name="e"/> is a failure of the file system (and so mapped rather than let through).</summary>
    public static bool IsFileSystem(Exception e) => e is IOException or UnauthorizedAccessException;

    public static StorageException Map(Exception e, string what) => e switch
    {
        StorageException s => s,
        UnauthorizedAccessException => new StorageException(StorageFailure.BadLocation, $"{what}: permission denied", e),
        FileNotFoundException or DirectoryNotFoundException => new StorageException(StorageFailure.BadLocation, $"{what}: no such file or directory", e),
        PathTooLongException => new StorageException(StorageFailure.BadLocation, $"{what}: file name too long", e),
        IOException io => FromErrno(io.HResult, what, io),
        _ => new StorageException(StorageFailure.CommandFailed, $"{what}: {e.GetType().Name}", e),
    };

    public static StorageException FromErrno(int errno, string what, Exception? inner = null) => errno switch
    {
        ENOSPC or EDQUOT or EFBIG => new StorageException(StorageFailure.NoSpace, $"{what}: no space left on the filesystem (disk full)", inner),
        EROFS => new StorageException(StorageFailure.BadLocation, $"{what}: read-only filesystem", inner),
        EACCES or EPERM => new StorageException(StorageFailure.BadLocation, $"{what}: permission denied", inner),
        ENOENT => new StorageException(StorageFailure.BadLocation, $"{what}: no such file or directory", inner),
        ENOTDIR => new StorageException(StorageFailure.BadLocation, $"{what}: a path component is not a directory", inner),
        EISDIR => new StorageException(StorageFailure.BadLocation, $"{what}: is a directory", inner),
        EEXIST => new StorageException(StorageFailure.BadLocation, $"{what}: already exists", inner),
        ENAMETOOLONG => new StorageException(StorageFailure.BadLocation, $"{what}: file name too long", inner),
        ELOOP => new StorageException(StorageFailure.BadLocation, $"{what}: too many levels of symbolic links", inner),
        ENOTEMPTY => new StorageException(StorageFailure.CommandFailed, $"{what}: directory not empty", inner),
        ESTALE or ENOTCONN or EHOSTDOWN or EHOSTUNREACH or ETIMEDOUT =>
            new StorageException(StorageFailure.Unreachable, $"{what}: the filesystem does not answer (errno {errno}: stale or disconnected mount)", inner),
        EIO => new StorageException(StorageFailure.CommandFailed, $"{what}: input/output error", inner),
        _ => new StorageException(StorageFailure.CommandFailed, $"{what}: {inner?.Message ?? "errno " + errno}", inner),
    };
}
