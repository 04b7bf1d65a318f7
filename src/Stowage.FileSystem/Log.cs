using Microsoft.Extensions.Logging;

namespace Stowage.FileSystem;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Warning, Message = "backup storage {Uuid}: {Message}")]
    public static partial void Failed(ILogger logger, string uuid, string message);

    [LoggerMessage(Level = LogLevel.Debug, Message = "clean-up of {Path} left it behind (the sweeper removes it later): {Reason}")]
    public static partial void CleanupFailed(ILogger logger, string path, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "qemu-img info on {Path} failed ({Reason}); format read from the file's header")]
    public static partial void QemuImgFailed(ILogger logger, string path, string reason);
}
