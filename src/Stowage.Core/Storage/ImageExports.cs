namespace Stowage.Core.Storage;

/// <summary>
/// Reading an image file back out of a backup storage (for the export URL). A storage type that can do
/// it implements this next to <see cref="IBackupStorageDriver"/>; callers test for it.
/// </summary>
public interface IImageReader
{
    /// <summary>
    /// Opens <paramref name="installPath"/> (which must lie inside the backup storage's url) for reading from
    /// <paramref name="offset"/>. The stream's <see cref="Stream.Length"/> is the whole file's size; reading
    /// holds a bounded amount of memory whatever the file size; disposing it releases the connection.
    /// </summary>
    Task<Stream> OpenReadAsync(BackupStorageTarget target, string installPath, long offset, CancellationToken cancellationToken);
}

/// <summary>An SSH key pair in OpenSSH text forms. Its ToString never shows the private key.</summary>
public sealed record SshKeyPair(string PublicKey, string PrivateKey)
{
    public override string ToString() => $"SshKeyPair[{PublicKey}]";
}

/// <summary>
/// Direct fetch: a dedicated key whose login on the storage host can only read (hypervisor hosts pull
/// image files themselves instead of through Stowage). The key is found again on the host by its tag.
/// </summary>
public interface IDirectFetchAccess
{
    /// <summary>A fresh key pair whose public key carries <paramref name="tag"/> as its comment.</summary>
    SshKeyPair CreateKey(string tag);

    /// <summary>Replaces (atomically, other lines kept) the host's authorized key tagged <paramref name="tag"/> by <paramref name="publicKey"/>, restricted to reading the url.</summary>
    Task InstallKeyAsync(BackupStorageTarget target, string publicKey, string tag, CancellationToken cancellationToken);

    /// <summary>Removes the host's authorized key tagged <paramref name="tag"/>; a missing one is fine.</summary>
    Task RemoveKeyAsync(BackupStorageTarget target, string tag, CancellationToken cancellationToken);
}
