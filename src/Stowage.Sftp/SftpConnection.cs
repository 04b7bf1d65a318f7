using System.Text;
using Renci.SshNet;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>
/// One logged-in SSH connection to a storage host with the host key it presented. The pooled session is
/// an SFTP client: pings, connects, markers and capacity are SFTP requests served by one long-lived
/// <c>sftp-server</c> on the host, so they fork nothing there. Shell commands (image transfers and
/// deletes) need an exec channel, which SSH.NET only offers on an <see cref="SshClient"/> session of its
/// own; that second session is opened on first use only, pinned to the host key of the first.
/// </summary>
internal sealed class SftpConnection : IDisposable
{
    /// <summary>Preferred ciphers, fastest in SSH.NET first (hardware AES-GCM); chacha20 is managed code and goes last.</summary>
    private static readonly string[] CipherPreference = ["aes128-gcm@openssh.com", "aes256-gcm@openssh.com", "aes128-ctr", "aes192-ctr", "aes256-ctr"];

    private const string SlowCipher = "chacha20-poly1305@openssh.com";

    /// <summary>
    /// The SFTP session only carries small requests (the image data path uses exec channels), so its
    /// file stream buffer is kept small: it is what a marker read allocates per ping.
    /// </summary>
    private const uint SftpBufferSize = 4096;

    /// <summary>curve25519 saves about 50 ms per connect against the sntrup761 hybrid default.</summary>
    private static readonly string[] KexPreference = ["curve25519-sha256", "curve25519-sha256@libssh.org"];

    private readonly List<IDisposable> _owned;
    private readonly SftpEndpoint _endpoint;
    private readonly TimeSpan _timeout;
    private readonly SemaphoreSlim _execGate = new(1, 1);
    private SshClient? _exec;
    private List<IDisposable>? _execOwned;
    private int _execUsers;
    private long _execReleasedAt;
    private volatile bool _disposed;

    private SftpConnection(SftpClient sftp, SftpEndpoint endpoint, TimeSpan timeout, string hostKey, byte[]? hostKeyBlob, List<IDisposable> owned)
    {
        HostKeyBlob = hostKeyBlob;
        Sftp = sftp;
        _endpoint = endpoint;
        _timeout = timeout;
        PoolKey = endpoint.PoolKey;
        HostKey = hostKey;
        _owned = owned;
        // Off SSH.NET's listener thread: the handler disposes this connection, which waits for that thread.
        sftp.ErrorOccurred += (_, _) =>
        {
            if (!_disposed && Broken is { } broken)
            {
                ThreadPool.QueueUserWorkItem(static b => b(), broken, preferLocal: false);
            }
        };
    }

    /// <summary>
    /// The SFTP session failed on its own (the host closed or reset the connection), not because it was
    /// disposed here. Raised on a thread-pool thread.
    /// </summary>
    public event Action? Broken;

    public SftpClient Sftp { get; }

    public string PoolKey { get; }

    /// <summary>The host key fingerprint the server presented, <c>SHA256:...</c>.</summary>
    public string HostKey { get; }

    /// <summary>
    /// The public host key itself (SSH wire form), as checked against the pin: another host that must reach this
    /// one (a copy between backup storages) gets it as a known_hosts line, since OpenSSH cannot pin a fingerprint.
    /// </summary>
    public byte[]? HostKeyBlob { get; }

    public bool IsConnected => Sftp.IsConnected;

    /// <summary>Whether the exec session has been opened (for tests and diagnostics).</summary>
    public bool HasExecSession => _exec is not null;

    public string? Cipher => Sftp.ConnectionInfo.CurrentClientEncryption;

    public string? KeyExchange => Sftp.ConnectionInfo.CurrentKeyExchangeAlgorithm;

    public static async Task<SftpConnection> OpenAsync(SftpEndpoint endpoint, TimeSpan timeout, CancellationToken cancellationToken)
    {
        byte[]? blob = null;
        var (client, hostKey, owned) = await LoginAsync(
            endpoint, endpoint.PinnedHostKey, info => new SftpClient(info) { BufferSize = SftpBufferSize }, timeout, cancellationToken, key => blob = key);
        return new SftpConnection(client, endpoint, timeout, hostKey, blob, owned);
    }

    /// <summary>
    /// The exec session of this connection, opening it on first use (or again when it died). The lease
    /// keeps it open: <see cref="CloseIdleExec"/> only closes a session nobody holds.
    /// </summary>
    public async Task<ExecLease> ExecClientAsync(CancellationToken cancellationToken)
    {
        await _execGate.WaitAsync(cancellationToken);
        try
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_exec is not { IsConnected: true })
            {
                DisposeExec();

                // Pinned to the key the SFTP session saw: both sessions must reach the same host.
                var (client, _, owned) = await LoginAsync(_endpoint, HostKey, info => new SshClient(info), _timeout, cancellationToken);
                (_exec, _execOwned) = (client, owned);
            }

            _execUsers++;
            return new ExecLease(this, _exec);
        }
        finally
        {
            _execGate.Release();
        }
    }

    /// <summary>
    /// Closes the exec session when nobody holds it and it has not been used for <paramref name="idle"/>.
    /// Most backup storages only need it now and then (a sweep at connect, a delete), and an idle SSH
    /// session costs a thread and buffers in this process and an sshd process on the host.
    /// </summary>
    public void CloseIdleExec(TimeSpan idle)
    {
        if (_exec is null || !_execGate.Wait(0))
        {
            return;
        }

        try
        {
            if (_execUsers == 0 && Environment.TickCount64 - _execReleasedAt >= (long)idle.TotalMilliseconds)
            {
                DisposeExec();
            }
        }
        finally
        {
            _execGate.Release();
        }
    }

    private void ReleaseExec()
    {
        _execGate.Wait();
        try
        {
            _execUsers--;
            _execReleasedAt = Environment.TickCount64;
            if (_disposed && _execUsers == 0)
            {
                DisposeExec();
            }
        }
        finally
        {
            _execGate.Release();
        }
    }

    /// <summary>
    /// Closes the SFTP session now and the exec session once no command holds it: a transfer running on it
    /// must see its own channel fail or finish (disposing the client under it would leave its command's task
    /// waiting forever), and the last lease closes it.
    /// </summary>
    public void Dispose()
    {
        _disposed = true;
        Close(Sftp, _owned);
        _execGate.Wait();
        try
        {
            if (_execUsers == 0)
            {
                DisposeExec();
            }
        }
        finally
        {
            _execGate.Release();
        }
    }

    private void DisposeExec()
    {
        if (_exec is not null)
        {
            Close(_exec, _execOwned!);
            (_exec, _execOwned) = (null, null);
        }
    }

    private static void Close(BaseClient client, List<IDisposable> owned)
    {
        try
        {
            client.Disconnect();
        }
        catch (Exception)
        {
            // Already gone; disposing is all that is left.
        }

        client.Dispose();
        owned.ForEach(d => d.Dispose());
    }

    internal static async Task<(T Client, string HostKey, List<IDisposable> Owned)> LoginAsync<T>(
        SftpEndpoint endpoint, string? pinned, Func<ConnectionInfo, T> create, TimeSpan timeout, CancellationToken cancellationToken, Action<byte[]>? hostKeySeen = null)
        where T : BaseClient
    {
        var owned = new List<IDisposable>();
        T? client = null;
        string? seen = null;
        var mismatch = false;
        try
        {
            var info = new ConnectionInfo(endpoint.Host, endpoint.Port, endpoint.Username, CreateAuthentication(endpoint, owned)) { Timeout = timeout };
            PreferFastAlgorithms(info);
            client = create(info);
            client.HostKeyReceived += (_, e) =>
            {
                seen = "SHA256:" + e.FingerPrintSHA256;
                hostKeySeen?.Invoke(e.HostKey);
                if (pinned is not null && !HostKeys.Same(pinned, seen))
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

            var result = (client, seen ?? "unknown", owned);
            client = null;
            return result;
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            if (mismatch)
            {
                throw SshFailures.HostKeyMismatch(endpoint, pinned!, seen!);
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

    /// <summary>A hold on the exec session; dispose it when the command is done.</summary>
    public sealed class ExecLease : IDisposable
    {
        private SftpConnection? _owner;

        internal ExecLease(SftpConnection owner, SshClient client) => (_owner, Client) = (owner, client);

        public SshClient Client { get; }

        public void Dispose() => Interlocked.Exchange(ref _owner, null)?.ReleaseExec();
    }
}
