using System.Globalization;
using Renci.SshNet;
using Renci.SshNet.Common;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>
/// An image source on another SSH server, <c>sftp://user:password@host[:port]/path</c>, read by Stowage itself
/// over SFTP (the storage host may have no sftp client, and a password must not reach its command lines).
/// The host key is checked against <c>pinnedHostKey</c> when one is given, else accepted; callers log
/// <see cref="HostKey"/> so an administrator can pin it next time.
/// </summary>
public sealed class SftpSourceFile : IAsyncDisposable
{
    private readonly SftpClient _client;

    private SftpSourceFile(SftpClient client, Stream content, long length, string hostKey)
    {
        _client = client;
        Content = content;
        Length = length;
        HostKey = hostKey;
    }

    /// <summary>The file's bytes, read on demand (bounded memory).</summary>
    public Stream Content { get; }

    public long Length { get; }

    /// <summary>The fingerprint the source presented, <c>SHA256:...</c>.</summary>
    public string HostKey { get; }

    /// <summary>
    /// The path as the source server resolves it (SFTP realpath: symlinks followed), or null when it will not
    /// say; deny rules compare this, not the text of the url.
    /// </summary>
    public async Task<string?> CanonicalPathAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            return (await Task.Run(() => _client.Get(path), cancellationToken)).FullName;
        }
        catch (Exception e) when (e is SshException or SftpPathNotFoundException or SftpPermissionDeniedException or InvalidOperationException)
        {
            return null;
        }
    }

    public static async Task<SftpSourceFile> OpenAsync(Uri source, string? pinnedHostKey, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        var info = source.UserInfo.Split(':', 2);
        var user = Uri.UnescapeDataString(info[0]);
        var password = info.Length == 2 ? Uri.UnescapeDataString(info[1]) : string.Empty;
        var port = source.Port > 0 ? source.Port : SftpEndpoint.DefaultPort;
        var pinned = string.IsNullOrWhiteSpace(pinnedHostKey) ? null : HostKeys.Normalize(pinnedHostKey);
        var endpoint = new SftpEndpoint(source.Host, port, user, pinned, new StorageSecret(StorageSecretKind.Password, password));
        var path = Uri.UnescapeDataString(source.AbsolutePath);
        string? seen = null;
        using var auth = new PasswordAuthenticationMethod(user, password);
        var connection = new ConnectionInfo(endpoint.Host, port, user, auth) { Timeout = timeout };
        SftpConnection.PreferFastAlgorithms(connection);
        var client = new SftpClient(connection);
        var mismatch = false;
        client.HostKeyReceived += (_, e) =>
        {
            seen = "SHA256:" + e.FingerPrintSHA256;
            if (pinned is not null && !HostKeys.Same(pinned, seen))
            {
                mismatch = true;
                e.CanTrust = false;
            }
        };

        try
        {
            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            await client.ConnectAsync(deadline.Token);
            var stream = await client.OpenAsync(path, FileMode.Open, FileAccess.Read, cancellationToken);
            var file = new SftpSourceFile(client, stream, stream.Length, seen ?? "unknown");
            client = null;
            return file;
        }
        catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new StorageException(StorageFailure.SourceFailed, $"timed out after {timeout.TotalSeconds.ToString("0", CultureInfo.InvariantCulture)} s connecting to SFTP source {endpoint.Display}", ex);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            throw Failure(ex, endpoint, path, mismatch ? seen : null);
        }
        finally
        {
            client?.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Content.DisposeAsync();
        _client.Dispose();
    }

    private static StorageException Failure(Exception ex, SftpEndpoint endpoint, string path, string? mismatchSeen)
    {
        if (mismatchSeen is not null)
        {
            return new StorageException(StorageFailure.SourceFailed,
                $"host key of SFTP source {endpoint.Display} is {mismatchSeen}, not the pinned {endpoint.PinnedHostKey} (system tag sourceHostKey::)");
        }

        var mapped = ex switch
        {
            SftpPathNotFoundException => new StorageException(StorageFailure.SourceFailed, $"file {path} does not exist on SFTP source {endpoint.Display}", ex),
            SftpPermissionDeniedException => new StorageException(StorageFailure.SourceFailed, $"user {endpoint.Username} may not read {path} on SFTP source {endpoint.Display}", ex),
            _ => SshFailures.FromConnect(ex, endpoint),
        };

        // Every failure of the source counts as the source failing: the storage host is fine.
        return new StorageException(StorageFailure.SourceFailed, SshFailures.Safe(mapped.Message, endpoint), ex);
    }
}
