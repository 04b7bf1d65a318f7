namespace Stowage.Server.Storage;

/// <summary>
/// Which backup storages this management server pings, reconnects and runs queues for. A single server
/// owns them all; a cluster (PostgreSQL) replaces this with consistent hashing over live servers.
/// </summary>
public interface IBackupStorageOwnership
{
    bool Owns(string backupStorageUuid);
}

public sealed class SingleServerOwnership : IBackupStorageOwnership
{
    public bool Owns(string backupStorageUuid) => true;
}
