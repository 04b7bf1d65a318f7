namespace Stowage.Persistence.Entities;

/// <summary>The type-independent part of a backup storage (ZStack's BackupStorageVO).</summary>
public sealed class BackupStorageEntity : IVersioned
{
    public required string Uuid { get; set; }

    public required string Name { get; set; }

    public string? Description { get; set; }

    public required string Url { get; set; }

    public required string Type { get; set; }

    public required string State { get; set; }

    public required string Status { get; set; }

    public long TotalCapacity { get; set; }

    public long AvailableCapacity { get; set; }

    /// <summary>Why the last connect or ping failed; null while Connected.</summary>
    public string? LastError { get; set; }

    /// <summary>
    /// The management server that pings, reconnects and runs the queue of this backup storage; null while
    /// nobody holds it (its owner died, or it predates the cluster) until the server the hash ring names claims it.
    /// </summary>
    public string? OwnerNodeId { get; set; }

    public DateTime CreateDate { get; set; }

    public DateTime LastOpDate { get; set; }

    public long Version { get; set; }
}

/// <summary>SFTP-specific columns; the credential is only ever stored encrypted.</summary>
public sealed class SftpBackupStorageEntity : IVersioned
{
    public required string Uuid { get; set; }

    public required string Hostname { get; set; }

    public int SshPort { get; set; }

    public required string Username { get; set; }

    /// <summary><c>Password</c> or <c>PrivateKey</c>.</summary>
    public required string CredentialKind { get; set; }

    /// <summary>The credential protected with the server's data-protection key ring.</summary>
    public required string CredentialCipher { get; set; }

    /// <summary>Pinned host key, OpenSSH <c>SHA256:...</c> form.</summary>
    public string? HostKeyFingerprint { get; set; }

    public DateTime LastOpDate { get; set; }

    public long Version { get; set; }
}

public sealed class BackupStorageZoneRefEntity
{
    public long Id { get; set; }

    public required string BackupStorageUuid { get; set; }

    public required string ZoneUuid { get; set; }

    public DateTime CreateDate { get; set; }

    public DateTime LastOpDate { get; set; }
}

/// <summary>
/// A canonical event (<c>/backup-storage/status/change</c>, <c>/backup-storage/disconnected</c>, capacity thresholds,
/// copy verification) as recorded. The table is also the webhooks' outbox: every row is inserted with
/// <see cref="DeliveryPending"/> set, and the webhook dispatcher turns it into deliveries and clears it.
/// </summary>
public sealed class BackupStorageEventEntity
{
    public long Id { get; set; }

    public required string BackupStorageUuid { get; set; }

    public required string Path { get; set; }

    public string? OldStatus { get; set; }

    public string? NewStatus { get; set; }

    public string? Reason { get; set; }

    public DateTime CreateDate { get; set; }

    /// <summary>Not yet fanned out to the webhook subscriptions (set for every new row, whoever adds it).</summary>
    public bool DeliveryPending { get; set; } = true;
}
