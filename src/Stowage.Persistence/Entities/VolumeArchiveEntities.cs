namespace Stowage.Persistence.Entities;

/// <summary>
/// A volume snapshot or a volume backup kept on backup storages (ZStack's VolumeSnapshotVO as far as backup
/// storage sees it, and the volume backups of its premium edition). Both kinds share one table because they
/// differ only in <see cref="Kind"/>, the folder their files go to and the API names; the row goes once no copy remains.
/// </summary>
public sealed class VolumeArchiveEntity : IVersioned
{
    public required string Uuid { get; set; }

    /// <summary><c>VolumeSnapshot</c> or <c>VolumeBackup</c>.</summary>
    public required string Kind { get; set; }

    public required string Name { get; set; }

    public string? Description { get; set; }

    /// <summary>The volume it was taken from (ZStack's volumeUuid); Stowage does not manage volumes, it only records it.</summary>
    public required string VolumeUuid { get; set; }

    /// <summary>Snapshot tree (snapshots only).</summary>
    public string? TreeUuid { get; set; }

    /// <summary>Parent snapshot in the tree (snapshots only).</summary>
    public string? ParentUuid { get; set; }

    /// <summary><c>Downloading</c>, <c>Ready</c> (as images).</summary>
    public required string Status { get; set; }

    /// <summary>Virtual size in bytes.</summary>
    public long Size { get; set; }

    public long ActualSize { get; set; }

    public string? Md5Sum { get; set; }

    public string? Sha256Sum { get; set; }

    public string? Format { get; set; }

    /// <summary>The source url with any password removed.</summary>
    public required string Url { get; set; }

    public required string OwnerAccountUuid { get; set; }

    public DateTime CreateDate { get; set; }

    public DateTime LastOpDate { get; set; }

    public long Version { get; set; }
}

/// <summary>One copy of a volume snapshot or backup on one backup storage (ZStack's VolumeSnapshotBackupStorageRefVO plus status).</summary>
public sealed class VolumeArchiveRefEntity : IVersioned
{
    public long Id { get; set; }

    public required string ArchiveUuid { get; set; }

    public required string BackupStorageUuid { get; set; }

    public required string InstallPath { get; set; }

    /// <summary><c>Downloading</c>, <c>Ready</c>, <c>Error</c> or <c>Corrupted</c>.</summary>
    public required string Status { get; set; }

    public string? LastError { get; set; }

    /// <summary>When the stored bytes were last verified (see <see cref="ImageBackupStorageRefEntity.LastVerifiedDate"/>).</summary>
    public DateTime? LastVerifiedDate { get; set; }

    /// <summary><c>Ok</c>, <c>Corrupted</c> or <c>Failed</c>.</summary>
    public string? LastVerifyOutcome { get; set; }

    /// <summary>Capacity held on the backup storage while this copy is being written; 0 otherwise.</summary>
    public long ReservedSize { get; set; }

    /// <summary>The management server running the write while Downloading: a server that dies takes its writes with it.</summary>
    public string? NodeId { get; set; }

    public DateTime CreateDate { get; set; }

    public DateTime LastOpDate { get; set; }

    public long Version { get; set; }
}
