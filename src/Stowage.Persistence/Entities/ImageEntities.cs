namespace Stowage.Persistence.Entities;

/// <summary>An image (ZStack's ImageVO). Deleted images are removed outright once no copy remains.</summary>
public sealed class ImageEntity : IVersioned
{
    public required string Uuid { get; set; }

    public required string Name { get; set; }

    public string? Description { get; set; }

    /// <summary><c>Enabled</c> or <c>Disabled</c>.</summary>
    public required string State { get; set; }

    /// <summary><c>Downloading</c>, <c>Ready</c>, <c>Deleted</c> (ZStack's ImageStatus).</summary>
    public required string Status { get; set; }

    /// <summary>Virtual size in bytes.</summary>
    public long Size { get; set; }

    /// <summary>Bytes of the file on the backup storage.</summary>
    public long ActualSize { get; set; }

    public string? Md5Sum { get; set; }

    public string? Sha256Sum { get; set; }

    /// <summary>The source url with any password removed; the secret form is never stored.</summary>
    public required string Url { get; set; }

    public required string MediaType { get; set; }

    public string? GuestOsType { get; set; }

    public required string Type { get; set; }

    public string? Platform { get; set; }

    public string? Architecture { get; set; }

    public string? Format { get; set; }

    public bool System { get; set; }

    public bool Virtio { get; set; }

    public required string OwnerAccountUuid { get; set; }

    public DateTime CreateDate { get; set; }

    public DateTime LastOpDate { get; set; }

    public long Version { get; set; }
}

/// <summary>One copy of an image on one backup storage (ZStack's ImageBackupStorageRefVO).</summary>
public sealed class ImageBackupStorageRefEntity : IVersioned
{
    public long Id { get; set; }

    public required string ImageUuid { get; set; }

    public required string BackupStorageUuid { get; set; }

    public required string InstallPath { get; set; }

    /// <summary><c>Downloading</c>, <c>Ready</c>, <c>Deleted</c>, <c>Error</c> or <c>Corrupted</c> (a verification found its bytes changed or gone).</summary>
    public required string Status { get; set; }

    /// <summary>Why this copy failed (status Error) or is Corrupted.</summary>
    public string? LastError { get; set; }

    /// <summary>When the stored bytes were last re-read and compared with the recorded digests; null: never. The scheduled verification runs from it.</summary>
    public DateTime? LastVerifiedDate { get; set; }

    /// <summary>What the last verification found: <c>Ok</c>, <c>Corrupted</c>, or <c>Failed</c> (could not read; the copy is unchanged).</summary>
    public string? LastVerifyOutcome { get; set; }

    /// <summary>Capacity held on the backup storage while this copy is being written; 0 otherwise.</summary>
    public long ReservedSize { get; set; }

    /// <summary>The management server running the write while Downloading: a server that dies takes its writes with it.</summary>
    public string? NodeId { get; set; }

    public string? ExportUrl { get; set; }

    public string? ExportMd5Sum { get; set; }

    public DateTime CreateDate { get; set; }

    public DateTime LastOpDate { get; set; }

    public long Version { get; set; }
}

/// <summary>
/// A pending upload of one image copy (AddImage with <c>upload://</c>). The token in the upload url is the only
/// credential, so only its SHA-256 is kept; the row goes once the upload completes, fails, expires or is deleted.
/// </summary>
public sealed class ImageUploadEntity
{
    public long Id { get; set; }

    /// <summary>The image copy this upload fills; null when it fills a volume snapshot or backup copy.</summary>
    public long? RefId { get; set; }

    /// <summary>The volume snapshot or backup copy this upload fills (<see cref="VolumeArchiveRefEntity"/>).</summary>
    public long? ArchiveRefId { get; set; }

    /// <summary>The image, volume snapshot or volume backup being uploaded.</summary>
    public required string ImageUuid { get; set; }

    public required string BackupStorageUuid { get; set; }

    /// <summary>Lowercase hex SHA-256 of the token.</summary>
    public required string TokenHash { get; set; }

    /// <summary>Total bytes announced by the first PUT (Content-Length or the Content-Range total); capacity is reserved from it.</summary>
    public long? TotalSize { get; set; }

    /// <summary>Bytes known to be on the storage after the last PUT.</summary>
    public long ReceivedSize { get; set; }

    public string? Md5 { get; set; }

    public string? Sha256 { get; set; }

    public DateTime ExpiresAt { get; set; }

    public DateTime CreateDate { get; set; }
}
