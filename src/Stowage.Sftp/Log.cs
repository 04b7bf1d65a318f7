using Microsoft.Extensions.Logging;

namespace Stowage.Sftp;

internal static partial class Log
{
    [LoggerMessage(Level = LogLevel.Information, Message = "SSH connection for backup storage {Uuid} to {Username}@{Endpoint} (cipher {Cipher}, kex {Kex}, host key {HostKey})")]
    public static partial void Connected(ILogger logger, string uuid, string endpoint, string username, string? cipher, string? kex, string hostKey);

    [LoggerMessage(Level = LogLevel.Debug, Message = "dropped SSH connection for backup storage {Uuid}")]
    public static partial void Dropped(ILogger logger, string uuid);

    [LoggerMessage(Level = LogLevel.Information, Message = "SSH connection for backup storage {Uuid} was closed by the host or the network; checking it now")]
    public static partial void Broken(ILogger logger, string uuid);

    [LoggerMessage(Level = LogLevel.Information, Message = "SSH connection for backup storage {Uuid} failed ({Reason}); retrying once on a new connection")]
    public static partial void Retrying(ILogger logger, string uuid, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "backup storage {Uuid}: {Message}")]
    public static partial void Failed(ILogger logger, string uuid, string message);

    [LoggerMessage(Level = LogLevel.Information, Message = "backup storage {Uuid}: export read over SFTP because OpenSSH cannot do this login ({Reason})")]
    public static partial void OpenSshUnusable(ILogger logger, string uuid, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "backup storage {Uuid}: write sent over SSH.NET because OpenSSH cannot do this login ({Reason})")]
    public static partial void OpenSshWriteUnusable(ILogger logger, string uuid, string reason);
}
