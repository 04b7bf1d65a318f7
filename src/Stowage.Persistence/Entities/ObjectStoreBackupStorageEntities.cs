namespace Stowage.Persistence.Entities;

/// <summary>
/// A Swift backup storage's own settings (table <c>swift_backup_storages</c>, keyed by the backup storage uuid).
/// The container and prefix are the common row's url; the password is only ever stored encrypted.
/// </summary>
public sealed class SwiftBackupStorageEntity : IVersioned
{
    public required string Uuid { get; set; }

    /// <summary><c>…/auth/v1.0</c> (tempauth) or a Keystone <c>…/v3</c> endpoint.</summary>
    public required string AuthUrl { get; set; }

    /// <summary><c>1</c> or <c>3</c>; null: guessed from the auth url.</summary>
    public string? AuthVersion { get; set; }

    public required string Username { get; set; }

    public string? ProjectName { get; set; }

    public string? ProjectDomainName { get; set; }

    public string? UserDomainName { get; set; }

    public string? Region { get; set; }

    /// <summary>Bytes offered when the account has no quota; null: the quota (or unlimited).</summary>
    public long? TotalCapacity { get; set; }

    /// <summary>The password protected with the server's data-protection key ring.</summary>
    public required string CredentialCipher { get; set; }

    public DateTime LastOpDate { get; set; }

    public long Version { get; set; }
}

/// <summary>An S3 backup storage's own settings (table <c>s3_backup_storages</c>); the secret key is only ever stored encrypted.</summary>
public sealed class S3BackupStorageEntity : IVersioned
{
    public required string Uuid { get; set; }

    /// <summary>The endpoint url; empty means AWS's regional endpoint.</summary>
    public required string Endpoint { get; set; }

    public required string AccessKey { get; set; }

    public string? Region { get; set; }

    public bool PathStyle { get; set; }

    public long? TotalCapacity { get; set; }

    /// <summary>The secret key protected with the server's data-protection key ring.</summary>
    public required string CredentialCipher { get; set; }

    public DateTime LastOpDate { get; set; }

    public long Version { get; set; }
}
