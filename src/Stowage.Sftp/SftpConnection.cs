using System.Text;
using Renci.SshNet;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>One logged-in SSH connection to a storage host, with the host key it presented.</summary>
internal sealed class SftpConnection : IDisposable
{
    /// <summary>Preferred ciphers, fastest in SSH.NET first (hardware AES-GCM); chacha20 is managed code and goes last.</summary>
    private static readonly string[] CipherPreference = ["aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr"];

    private const string SlowCipher = "chacha20-poly1305@openssh.com";

    /// <summary>curve25519 saves about 50 ms per connect against the sntrup761 hybrid default.</summary>
    private static readonly string[] KexPreference = ["curve25519-sha256", "curve25519-sha256@libssh.org"];

    private readonly List<IDisposable> _owned;

    private SftpConnection(SshClient client, string poolKey, string hostKey, List<IDisposable> owned)
    {
        Client = client;
        PoolKey = poolKey;
        HostKey = hostKey;
        _owned = owned;
    }

    public SshClient Client { get; }

    public string PoolKey { get; }

    /// <summary>The host key fingerprint the server presented, <c>SHA256:...</c>.</summary>
    public string HostKey { get; }

    public bool IsConnected => Client.IsConnected;

    public string? Cipher => Client.ConnectionInfo.CurrentClientEncryption;

    public string? KeyExchange => Client.ConnectionInfo.CurrentKeyExchangeAlgorithm;

    public static async Task<SftpConnection> OpenAsync(SftpEndpoint endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var owned = new List<IDisposable>();
        SshClient? client = null;
        string? seen = null;
        var mismatch = false;
        try
        {
            var info = new ConnectionInfo(endpoint.Host, endpoint.Port, endpoint.Username, CreateAuthentication(endpoint, owned)) { Timeout = timeout };
            PreferFastAlgorithms(info);
            client = new SshClient(info);
            client.HostKeyReceived += (_, e) =>
            {
                seen = "SHA256:" + e.FingerPrintSHA256;
                if (endpoint.PinnedHostKey is { } pinned && !HostKeys.Same(pinned, seen))
                {
                    mismatch = true;
                    e.CanTrust = false;
                }
            };

            using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            deadline.CancelAfter(timeout);
            try
            {
                await client.ConnectAsync(deadline.Token);
            }
            catch (OperationCanceledException ex) when (!cancellationToken.IsCancellationRequested)
            {
                throw new StorageException(StorageFailure.Timeout, $"timed out after {timeout.TotalSeconds:0} s connecting to SSH server {endpoint.Display}", ex);
            }

            var connection = new SftpConnection(client, endpoint.PoolKey, seen ?? "unknown", owned);
            client = null;
            return connection;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (mismatch)
            {
                throw SshFailures.HostKeyMismatch(endpoint, endpoint.PinnedHostKey!, seen!);
            }

            throw SshFailures.FromConnect(ex, endpoint);
        }
        finally
        {
            if (client is not null)
            {
                client.Dispose();
                owned.ForEach(d => d.Dispose());
            }
        }
    }

    public void Dispose()
    {
        try
        {
            Client.Disconnect();
        }
        catch (Exception)
        {
            // Already gone; disposing is all that is left.
        }

        Client.Dispose();
        _owned.ForEach(d => d.Dispose());
    }

    internal static AuthenticationMethod CreateAuthentication(SftpEndpoint endpoint, List<IDisposable> owned)
    {
        if (endpoint.Secret.Kind == StorageSecretKind.Password)
        {
            var password = new PasswordAuthenticationMethod(endpoint.Username, endpoint.Secret.Value);
            owned.Add(password);
            return password;
        }

        PrivateKeyFile key;
        try
        {
            using var stream = new MemoryStream(Encoding.UTF8.GetBytes(endpoint.Secret.Value));
            key = string.IsNullOrEmpty(endpoint.Secret.Passphrase) ? new PrivateKeyFile(stream) : new PrivateKeyFile(stream, endpoint.Secret.Passphrase);
        }
        catch (Exception ex)
        {
            throw SshFailures.BadPrivateKey(endpoint, ex);
        }

        owned.Add(key);
        var method = new PrivateKeyAuthenticationMethod(endpoint.Username, key);
        owned.Add(method);
        return method;
    }

    internal static void PreferFastAlgorithms(ConnectionInfo info)
    {
        var position = 0;
        foreach (var cipher in CipherPreference)
        {
            if (info.Encryptions.ContainsKey(cipher))
            {
                info.Encryptions.SetPosition(cipher, position++);
            }
        }

        if (info.Encryptions.ContainsKey(SlowCipher))
        {
            info.Encryptions.SetPosition(SlowCipher, info.Encryptions.Count - 1);
        }

        position = 0;
        foreach (var kex in KexPreference)
        {
            if (info.KeyExchangeAlgorithms.ContainsKey(kex))
            {
                info.KeyExchangeAlgorithms.SetPosition(kex, position++);
            }
        }
    }
}
