using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace Stowage.Sftp;

/// <summary>
/// One logged-in connection per backup storage uuid, reused for every command while its login (host,
/// port, user, credential) is unchanged and it still satisfies the pinned host key. Connecting is
/// serialised per uuid; commands on a connection run concurrently (SSH channels).
/// </summary>
internal sealed class SftpConnectionPool(TimeSpan connectTimeout, ILogger logger, Action<string>? lost = null) : IDisposable
{
    private readonly ConcurrentDictionary<string, SftpConnection> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, SemaphoreSlim> _gates = new(StringComparer.Ordinal);
    private volatile bool _disposed;

    /// <summary>The pooled connection for <paramref name="uuid"/>, opening one when needed; <c>Reused</c> tells which.</summary>
    public async Task<(SftpConnection Connection, bool Reused)> GetAsync(string uuid, SftpEndpoint endpoint, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (TryReuse(uuid, endpoint) is { } existing)
        {
            return (existing, true);
        }

        var gate = _gates.GetOrAdd(uuid, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (TryReuse(uuid, endpoint) is { } again)
            {
                return (again, true);
            }

            // A dead one is reported as broken (a command may find it dead before its listener says so);
            // one with another login or host key is simply replaced.
            if (_connections.TryGetValue(uuid, out var stale) && !stale.IsConnected)
            {
                DropBroken(uuid, stale);
            }

            Drop(uuid);
            var connection = await SftpConnection.OpenAsync(endpoint, connectTimeout, cancellationToken);
            if (_disposed)
            {
                connection.Dispose();
                throw new ObjectDisposedException(nameof(SftpConnectionPool));
            }

            _connections[uuid] = connection;
            connection.Broken += () => DropBroken(uuid, connection);
            Log.Connected(logger, uuid, endpoint.Display, endpoint.Username, connection.Cipher, connection.KeyExchange, connection.HostKey);
            return (connection, false);
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>The pooled connection for <paramref name="uuid"/> if there is one (for diagnostics and tests).</summary>
    public SftpConnection? Peek(string uuid) => _connections.TryGetValue(uuid, out var c) ? c : null;

    /// <summary>Closes the pooled connection of <paramref name="uuid"/>; with <paramref name="only"/>, only if it is still that one.</summary>
    public void Drop(string uuid, SftpConnection? only = null)
    {
        SftpConnection? removed;
        if (only is null)
        {
            _connections.TryRemove(uuid, out removed);
        }
        else
        {
            removed = _connections.TryRemove(new KeyValuePair<string, SftpConnection>(uuid, only)) ? only : null;
        }

        if (removed is not null)
        {
            Log.Dropped(logger, uuid);
            removed.Dispose();
        }
    }

    public void Dispose()
    {
        _disposed = true;
        foreach (var uuid in _connections.Keys)
        {
            Drop(uuid);
        }
    }

    /// <summary>
    /// Drops a pooled connection that failed in transport (the host closed it, a command found it dead) and
    /// reports it, whichever noticed first: the other one finds it gone and stays quiet.
    /// </summary>
    public void DropBroken(string uuid, SftpConnection connection)
    {
        if (!_disposed && _connections.TryRemove(new KeyValuePair<string, SftpConnection>(uuid, connection)))
        {
            Log.Broken(logger, uuid);
            connection.Dispose();
            lost?.Invoke(uuid);
        }
    }

    private SftpConnection? TryReuse(string uuid, SftpEndpoint endpoint)
    {
        if (!_connections.TryGetValue(uuid, out var connection))
        {
            return null;
        }

        var usable = connection.IsConnected
            && string.Equals(connection.PoolKey, endpoint.PoolKey, StringComparison.Ordinal)
            && (endpoint.PinnedHostKey is null || HostKeys.Same(endpoint.PinnedHostKey, connection.HostKey));
        return usable ? connection : null;
    }
}
