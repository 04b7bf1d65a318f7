using Stowage.Core.Storage;

namespace Stowage.Nfs;

/// <summary>Turns libnfs's -errno results into <see cref="StorageException"/> kinds callers can act on.</summary>
internal static class NfsErrors
{
    internal const int EPERM = 1, ENOENT = 2, EINTR = 4, EIO = 5, EACCES = 13, EFAULT = 14, EEXIST = 17, ENOTDIR = 20,
        EISDIR = 21, EINVAL = 22, EFBIG = 27, ENOSPC = 28, EROFS = 30, EPIPE = 32, ENAMETOOLONG = 36,
        ENOTEMPTY = 39, ENETUNREACH = 101, ECONNRESET = 104, ETIMEDOUT = 110, ECONNREFUSED = 111,
        EHOSTUNREACH = 113, ESTALE = 116, EDQUOT = 122;

    /// <summary>
    /// The failure kind of <c>-rc</c>. libnfs answers EINTR when the context's timeout fired: "Command was
    /// cancelled" for a server that stopped answering, "Socket failed with POLLHUP" for one that went away.
    /// EIO with a connect/service message means the connection is gone.
    /// </summary>
    internal static StorageFailure Kind(int errno, string message) => errno switch
    {
        EINTR when message.Contains("POLLHUP", StringComparison.Ordinal) || message.Contains("ocket", StringComparison.Ordinal) => StorageFailure.Unreachable,
        EINTR or ETIMEDOUT => StorageFailure.Timeout,
        ECONNREFUSED or ECONNRESET or ENETUNREACH or EHOSTUNREACH or EPIPE => StorageFailure.Unreachable,
        EIO when IsConnectionMessage(message) => StorageFailure.Unreachable,
        // libnfs's synchronous mount answers EFAULT when its poll loop broke ("mount_cb: Poll failed"): the
        // server hung up or is still busy after a restart, not a bad request.
        EFAULT when message.Contains("Poll failed", StringComparison.Ordinal) || message.Contains("ocket", StringComparison.Ordinal) => StorageFailure.Unreachable,
        EACCES or EPERM or ENOENT or ENOTDIR or EISDIR or EROFS or ESTALE or ENAMETOOLONG or EEXIST or EINVAL => StorageFailure.BadLocation,
        ENOSPC or EDQUOT or EFBIG => StorageFailure.NoSpace,
        _ => StorageFailure.CommandFailed,
    };

    internal static StorageException Exception(int rc, string message, string operation, string path)
    {
        var errno = -rc;
        var kind = Kind(errno, message);
        var what = kind switch
        {
            StorageFailure.Timeout => "the NFS server did not answer in time",
            StorageFailure.Unreachable => "the NFS server cannot be reached",
            StorageFailure.NoSpace => "no space left on the NFS export",
            _ when errno is EACCES or EPERM => "permission denied",
            _ when errno is ENOENT => "no such file or directory",
            _ when errno is EROFS => "the export is read-only",
            _ when errno is ESTALE => "stale file handle (the directory was removed on the server)",
            _ => "failed",
        };
        return new StorageException(kind, $"NFS {operation} {path}: {what} (errno {errno}: {message})");
    }

    private static bool IsConnectionMessage(string message) =>
        message.Contains("nfs_service", StringComparison.Ordinal) || message.Contains("connect", StringComparison.OrdinalIgnoreCase)
        || message.Contains("ocket", StringComparison.Ordinal) || message.Contains("RPC", StringComparison.Ordinal) && message.Contains("timed out", StringComparison.Ordinal);
}
