namespace Stowage.Persistence.Entities;

/// <summary>
/// ZStack's LongJobVO: a long-running API call as a resource of its own. Its uuid is the uuid of the async API job
/// that runs it, so CancelLongJob reaches the job; <see cref="ApiId"/> is the call that created it (the job itself
/// for a direct call, the SubmitLongJob call otherwise).
/// </summary>
public sealed class LongJobEntity
{
    public required string Uuid { get; set; }

    public string? Name { get; set; }

    public string? Description { get; set; }

    public required string ApiId { get; set; }

    /// <summary>The API's message name, e.g. <c>APIAddImageMsg</c>.</summary>
    public required string JobName { get; set; }

    /// <summary>The API's parameters as JSON text, with secrets removed.</summary>
    public required string JobData { get; set; }

    public string? JobResult { get; set; }

    public required string State { get; set; }

    public string? TargetResourceUuid { get; set; }

    public required string ManagementNodeUuid { get; set; }

    public DateTime CreateDate { get; set; }

    public DateTime LastOpDate { get; set; }
}

/// <summary>
/// A removal of stored bits that could not be done when its copy was deleted (host down, disconnected, permission
/// denied, read-only filesystem): the copy's record is gone, this row remembers the files until a retry removes them.
/// </summary>
public sealed class StorageGcJobEntity
{
    public long Id { get; set; }

    public required string BackupStorageUuid { get; set; }

    /// <summary>Install path of the copy whose folder is to be removed.</summary>
    public required string InstallPath { get; set; }

    public required string ResourceUuid { get; set; }

    /// <summary><c>ImageVO</c>, <c>VolumeSnapshotVO</c> or <c>VolumeBackupVO</c>.</summary>
    public required string ResourceType { get; set; }

    /// <summary>The last failure, as the storage reported it.</summary>
    public required string Reason { get; set; }

    public int Attempts { get; set; }

    public DateTime CreateDate { get; set; }

    public DateTime LastAttemptDate { get; set; }
}
