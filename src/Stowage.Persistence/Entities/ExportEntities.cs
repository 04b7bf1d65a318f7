namespace Stowage.Persistence.Entities;

/// <summary>
/// One export URL of an image copy. Only the SHA-256 of its token is kept: the URL is the credential and
/// is shown once, in the export reply. It stops working when this row goes (delete export, copy removed),
/// when the copy is no longer Ready, or once it is older than <c>backupStorage/export.expirationTime</c>.
/// </summary>
public sealed class ImageExportEntity
{
    public long Id { get; set; }

    /// <summary>Lowercase hex SHA-256 of the URL token.</summary>
    public required string TokenHash { get; set; }

    public long RefId { get; set; }

    public required string ImageUuid { get; set; }

    public required string BackupStorageUuid { get; set; }

    /// <summary>The last path segment of the URL; a request naming another file is refused.</summary>
    public required string FileName { get; set; }

    public DateTime CreateDate { get; set; }
}

/// <summary>The direct-fetch key pair of a backup storage; the private key only ever protected.</summary>
public sealed class DownloadCredentialEntity
{
    public required string BackupStorageUuid { get; set; }

    /// <summary>OpenSSH public key line, comment included (<c>stowage-download-&lt;uuid&gt;</c>).</summary>
    public required string PublicKey { get; set; }

    /// <summary>The private key protected with the server's data-protection key ring.</summary>
    public required string PrivateKeyCipher { get; set; }

    public DateTime CreateDate { get; set; }
}
