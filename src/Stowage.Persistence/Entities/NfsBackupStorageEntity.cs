namespace Stowage.Persistence.Entities;

/// <summary>
/// An NFS backup storage's own settings (table <c>nfs_backup_storages</c>, keyed by the backup storage uuid):
/// the server and path parsed from the url (for queries and overlap checks), the fixed ports when the server
/// does not publish them through rpcbind, and the AUTH_SYS identity Stowage speaks as.
/// </summary>
public sealed class NfsBackupStorageEntity : IVersioned
{
    public required string Uuid { get; set; }

    /// <summary>The server of the url, as written (a host name, an IPv4 address or a bracketed IPv6 one).</summary>
    public required string Server { get; set; }

    /// <summary>The normalised absolute path on the server (export and directory below it).</summary>
    public required string ExportPath { get; set; }

    public int? NfsPort { get; set; }

    public int? MountPort { get; set; }

    public int Uid { get; set; }

    public int Gid { get; set; }

    public DateTime LastOpDate { get; set; }

    public long Version { get; set; }
}
