using System.Net.Sockets;
using Renci.SshNet.Common;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>
/// Turns SSH.NET and socket failures into <see cref="StorageException"/>s with messages written here (never
/// the library's text verbatim where it could echo input), and scrubs the secret from every message.
/// </summary>
internal static class SshFailures
{
    public static StorageException HostKeyMismatch(SftpEndpoint endpoint, string expected, string seen) =>
        new(StorageFailure.HostKeyMismatch,
            $"host key of {endpoint.Display} changed: expected {expected}, got {seen}; accept the new key with UpdateSftpBackupStorage if this is expected");

    public static StorageException BadPrivateKey(SftpEndpoint endpoint, Exception inner) =>
        Make(StorageFailure.AuthenticationFailed, $"the private key for {endpoint.Username}@{endpoint.Display} cannot be read (wrong passphrase or unsupported format)", endpoint, inner);

    /// <summary>Maps a failure while connecting and logging in.</summary>
    public static StorageException FromConnect(Exception ex, SftpEndpoint endpoint) => ex switch
    {
        StorageException se => se,
        SocketException so => FromSocket(so, endpoint),
        SshPassPhraseNullOrEmptyException => Make(StorageFailure.AuthenticationFailed, $"the private key for {endpoint.Username}@{endpoint.Display} is encrypted and needs a passphrase", endpoint, ex),
        SshAuthenticationException => Make(StorageFailure.AuthenticationFailed, $"SSH login as '{endpoint.Username}' to {endpoint.Display} was refused: {Credential(endpoint)} not accepted", endpoint, ex),
        SshOperationTimeoutException or TimeoutException => Make(StorageFailure.Timeout, $"timed out connecting to SSH server {endpoint.Display}", endpoint, ex),
        ProxyException => Make(StorageFailure.Unreachable, $"cannot reach SSH server {endpoint.Display} through the proxy", endpoint, ex),
        SshConnectionException => Make(StorageFailure.Unreachable, $"SSH connection to {endpoint.Display} failed: {Safe(ex.Message, endpoint)}", endpoint, ex),
        SshException => Make(StorageFailure.Unreachable, $"SSH connection to {endpoint.Display} failed: {Safe(ex.Message, endpoint)}", endpoint, ex),
        _ => Make(StorageFailure.Unreachable, $"SSH connection to {endpoint.Display} failed: {ex.GetType().Name}", endpoint, ex),
    };

    /// <summary>Maps a failure while running a command on an established connection.</summary>
    public static StorageException FromCommand(Exception ex, SftpEndpoint endpoint) => ex switch
    {
        StorageException se => se,
        SshOperationTimeoutException or TimeoutException => Make(StorageFailure.Timeout, $"a command on {endpoint.Display} timed out", endpoint, ex),
        SocketException so => FromSocket(so, endpoint),
        SshConnectionException or ObjectDisposedException => Make(StorageFailure.Unreachable, $"the SSH connection to {endpoint.Display} was lost", endpoint, ex),
        SftpPermissionDeniedException => Make(StorageFailure.CommandFailed, $"an SFTP request on {endpoint.Display} was refused: permission denied", endpoint, ex),
        SftpException sftp => Make(StorageFailure.CommandFailed, $"an SFTP request on {endpoint.Display} failed: {sftp.StatusCode}", endpoint, ex),
        _ => Make(StorageFailure.Unreachable, $"running a command on {endpoint.Display} failed: {Safe(ex.Message, endpoint)}", endpoint, ex),
    };

    /// <summary>Whether a failure on a pooled connection means the connection itself is gone (retry on a new one).</summary>
    public static bool IsTransport(Exception? ex) =>
        ex is SshConnectionException or SocketException or ObjectDisposedException
        || (ex is InvalidOperationException && ex.Message.Contains("not connected", StringComparison.OrdinalIgnoreCase));

    /// <summary>Removes the secret (and passphrase) from a text that is about to leave the driver.</summary>
    public static string Safe(string text, SftpEndpoint endpoint)
    {
        var result = text;
        foreach (var secret in new[] { endpoint.Secret.Value, endpoint.Secret.Passphrase })
        {
            if (!string.IsNullOrEmpty(secret))
            {
                result = result.Replace(secret, "***", StringComparison.Ordinal);
            }
        }

        return result;
    }

    private static StorageException FromSocket(SocketException ex, SftpEndpoint endpoint) => ex.SocketErrorCode switch
    {
        SocketError.TimedOut => Make(StorageFailure.Timeout, $"timed out connecting to SSH server {endpoint.Display}", endpoint, ex),
        SocketError.ConnectionRefused => Make(StorageFailure.Unreachable, $"cannot reach SSH server {endpoint.Display}: connection refused", endpoint, ex),
        SocketError.HostNotFound or SocketError.NoData or SocketError.TryAgain => Make(StorageFailure.Unreachable, $"cannot reach SSH server {endpoint.Display}: host name not found", endpoint, ex),
        SocketError.HostUnreachable or SocketError.NetworkUnreachable or SocketError.HostDown or SocketError.NetworkDown => Make(StorageFailure.Unreachable, $"cannot reach SSH server {endpoint.Display}: no route to host", endpoint, ex),
        _ => Make(StorageFailure.Unreachable, $"cannot reach SSH server {endpoint.Display}: {ex.SocketErrorCode}", endpoint, ex),
    };

    private static string Credential(SftpEndpoint endpoint) =>
        endpoint.Secret.Kind == StorageSecretKind.Password ? "password" : "private key";

    // The inner exception is kept for logs and debugging; SSH.NET never puts credentials in its messages,
    // and the outer message is scrubbed in any case.
    private static StorageException Make(StorageFailure failure, string message, SftpEndpoint endpoint, Exception inner) =>
        new(failure, Safe(message, endpoint), inner);
}
