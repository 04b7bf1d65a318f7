using System.Collections.Concurrent;
using Renci.SshNet;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>
/// SFTP sessions for reading image files out, separate from the exec connection pool: SSH.NET runs an
/// SFTP session on its own connection, and a download should not queue behind pings and transfers on the
/// shared one. Idle sessions are kept per backup storage (a connect costs 40–90 ms) up to a small limit.
/// </summary>
internal sealed class SftpReadClients(TimeSpan connectTimeout) : IDisposable
{
    private const int MaxIdlePerStorage = 4;

    /// <summary>SSH.NET caps a read at its 64 KiB local packet; asking for more costs nothing and survives a raised cap.</summary>
    private const uint ReadChunk = 256 * 1024;

    private readonly ConcurrentDictionary<string, ConcurrentQueue<Lease>> _idle = new(StringComparer.Ordinal);
    private volatile bool _disposed;

    public async Task<Lease> RentAsync(string uuid, SftpEndpoint endpoint, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_idle.TryGetValue(uuid, out var queue))
        {
            while (queue.TryDequeue(out var lease))
            {
                if (lease.Client.IsConnected && lease.PoolKey == endpoint.PoolKey
                    && (endpoint.PinnedHostKey is null || HostKeys.Same(endpoint.PinnedHostKey, lease.HostKey)))
                {
                    return lease;
                }

                lease.Dispose();
            }
        }

        return await OpenAsync(endpoint, cancellationToken);
    }

    /// <summary>Keeps a healthy session for the next download; a broken or surplus one is closed.</summary>
    public void Return(string uuid, Lease lease, bool healthy)
    {
        var queue = _idle.GetOrAdd(uuid, _ => new ConcurrentQueue<Lease>());
        if (_disposed || !healthy || !lease.Client.IsConnected || queue.Count >= MaxIdlePerStorage)
        {
            lease.Dispose();
            return;
        }

        queue.Enqueue(lease);
    }

    public void Drop(string uuid)
    {
        if (_idle.TryRemove(uuid, out var queue))
        {
            while (queue.TryDequeue(out var lease))
            {
                lease.Dispose();
            }
        }
    }

    public void Dispose()
    {
        _disposed = true;
        foreach (var uuid in _idle.Keys)
        {
            Drop(uuid);
        }
    }

    private async Task<Lease> OpenAsync(SftpEndpoint endpoint, CancellationToken cancellationToken)
    {
        // The same login as the pooled connection (pinned host key, algorithms, failure mapping); only the client differs.
        var (client, hostKey, owned) = await SftpConnection.LoginAsync(
            endpoint, endpoint.PinnedHostKey, info => new SftpClient(info) { BufferSize = ReadChunk, OperationTimeout = TimeSpan.FromSeconds(60) },
            connectTimeout, cancellationToken);
        return new Lease(client, endpoint.PoolKey, hostKey, owned);
    }

    /// <summary>One logged-in SFTP session, lent to one download at a time.</summary>
    internal sealed class Lease(SftpClient client, string poolKey, string hostKey, List<IDisposable> owned) : IDisposable
    {
        public SftpClient Client { get; } = client;

        public string PoolKey { get; } = poolKey;

        public string HostKey { get; } = hostKey;

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
            owned.ForEach(d => d.Dispose());
        }
    }
}
