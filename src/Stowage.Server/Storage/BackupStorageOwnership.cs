namespace Stowage.Server.Storage;

/// <summary>Where a call about one backup storage runs: here, on another server, or nowhere right now.</summary>
public abstract record OwnerRoute
{
    public sealed record Local : OwnerRoute;

    /// <summary>Another live server owns it: the call is forwarded to <paramref name="Address"/>.</summary>
    public sealed record Remote(string NodeId, string Address) : OwnerRoute;

    /// <summary>Nobody may act on it at this moment (its owner died or it is changing hands): retry shortly.</summary>
    public sealed record Unavailable(string Reason) : OwnerRoute;

    public static OwnerRoute Here { get; } = new Local();
}

/// <summary>
/// Which backup storages this management server pings, reconnects and runs queues for. A single server
/// owns them all; in a cluster (PostgreSQL) ownership follows consistent hashing over the live servers,
/// recorded per backup storage in the database and fenced by this server's heartbeat lease.
/// </summary>
public interface IBackupStorageOwnership
{
    bool Owns(string backupStorageUuid);

    /// <summary>Completes once this server knows what it owns (at once for a single server).</summary>
    Task WaitReadyAsync(CancellationToken cancellationToken);

    /// <summary>Where a call about <paramref name="backupStorageUuid"/> must run.</summary>
    Task<OwnerRoute> RouteAsync(string backupStorageUuid, CancellationToken cancellationToken);

    /// <summary>
    /// Where a call serialized on <paramref name="serialKey"/> (one zone, one image, global configs) runs: the
    /// server the hash ring gives the key, so calls on the same key queue on one server cluster-wide.
    /// </summary>
    OwnerRoute RouteKey(string serialKey);

    /// <summary>The address of a live server, for calls about what it runs (e.g. cancelling its jobs); null when not live.</summary>
    string? AddressOf(string nodeId);

    /// <summary>
    /// Backup storages this server took over from a dead server (or found unowned): their status is
    /// re-established by a reconnect.
    /// </summary>
    event Action<IReadOnlyList<string>>? TakenOver;

    /// <summary>This server lost its lease: whatever it runs on backup storages must stop now.</summary>
    event Action? Fenced;
}

public sealed class SingleServerOwnership : IBackupStorageOwnership
{
    public event Action<IReadOnlyList<string>>? TakenOver { add { } remove { } }

    public event Action? Fenced { add { } remove { } }

    public bool Owns(string backupStorageUuid) => true;

    public Task WaitReadyAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task<OwnerRoute> RouteAsync(string backupStorageUuid, CancellationToken cancellationToken) => Task.FromResult(OwnerRoute.Here);

    public OwnerRoute RouteKey(string serialKey) => OwnerRoute.Here;

    public string? AddressOf(string nodeId) => null;
}
