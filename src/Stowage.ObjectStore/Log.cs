using Microsoft.Extensions.Logging;

namespace Stowage.ObjectStore;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "backup storage {Uuid}: {Type} client for container {Container}")]
    public static partial void ClientCreated(ILogger logger, string uuid, string type, string container);

    [LoggerMessage(Level = LogLevel.Warning, Message = "backup storage {Uuid}: {Message}")]
    public static partial void Failed(ILogger logger, string uuid, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "backup storage {Uuid}: the interrupted write of {Key} left segments behind that could not be removed now ({Reason}); the sweeper removes them later")]
    public static partial void AbortFailed(ILogger logger, string uuid, string key, string reason);
}
