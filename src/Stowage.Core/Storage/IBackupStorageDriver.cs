namespace Stowage.Core.Storage;

/// <summary>
/// What a storage type can do, declared up front (glance_store style) so the API layer can refuse an
/// operation a type lacks with a clear error instead of failing half-way.
/// </summary>
/// <param name="ReadsFiles">Stowage can read stored files (<see cref="IImageReader"/>): export, copies out by stream.</param>
/// <param name="WritesFiles">Stowage can write files into it (every image source streamed through Stowage).</param>
/// <param name="HostPullsFromUrl">The storage host fetches an http(s) source itself (curl/wget on the host).</param>
/// <param name="ExportsOverHttp">Images can be exported through Stowage's token URLs.</param>
/// <param name="HostToHostCopy">A copy to this storage can be pulled by its host straight from another one of the same type.</param>
/// <param name="DirectFetchKeys">Hypervisor hosts can get a read-only key to fetch its files themselves (<see cref="IDirectFetchAccess"/>).</param>
/// <param name="ResumableUpload">Uploads (<c>upload://</c>) can be written piece by piece and resumed.</param>
/// <param name="CopiesHostFiles">A <c>file:///</c> source names a file on the storage's own host, copied there.</param>
/// <param name="VerifiesStoredFiles">Stored copies can be re-read and hashed where they are (<see cref="IStoredFileVerifier"/>).</param>
public sealed record StorageCapabilities(
    bool ReadsFiles = true,
    bool WritesFiles = true,
    bool HostPullsFromUrl = false,
    bool ExportsOverHttp = false,
    bool HostToHostCopy = false,
    bool DirectFetchKeys = false,
    bool ResumableUpload = false,
    bool CopiesHostFiles = false,
    bool SignedReadUrls = false,
    bool ServerSideCopy = false,
    bool VerifiesStoredFiles = false);

/// <summary>
/// One backup storage as a driver sees it: where it is (<see cref="Url"/>), the type-specific
/// <see cref="Settings"/> (for SFTP: hostname, sshPort, username, hostKey) and the decrypted secret.
/// The settings come from the type's own table (the server's <c>IStorageTypeRow</c>); the secret lives only
/// in memory for the duration of an operation.
/// </summary>
public sealed record BackupStorageTarget(
    string Uuid,
    string Url,
    IReadOnlyDictionary<string, string> Settings,
    StorageSecret? Secret)
{
    public string? Setting(string name) => Settings.TryGetValue(name, out var v) ? v : null;

    /// <summary>
    /// Set on the reconnect of a backup storage that exists already (reconnect, boot, auto-reconnect): its location
    /// held our marker once, so a connect must not create it when it is gone; it may have been wiped, or be a
    /// mount point whose filesystem is missing, and creating it would write where the storage used to be.
    /// </summary>
    public bool Known { get; init; }

    /// <summary>Secrets never reach logs or error texts through this record's printing.</summary>
    public override string ToString() => $"BackupStorage[uuid:{Uuid}, url:{Url}]";
}

public enum StorageSecretKind
{
    Password,
    PrivateKey,
}

/// <summary>A credential in clear, held briefly in memory; its ToString never shows the value.</summary>
public sealed record StorageSecret(StorageSecretKind Kind, string Value, string? Passphrase = null)
{
    public override string ToString() => $"StorageSecret[{Kind}]";
}

/// <summary>Total and available bytes of the filesystem (or store) holding the backup storage.</summary>
public sealed record StorageCapacity(long Total, long Available);

/// <summary>
/// What connecting established: capacity, the identity marker found in the storage location (null when
/// there was none) and facts to pin for next time (for SFTP: <c>hostKey</c> = the SHA256 fingerprint).
/// </summary>
public sealed record ConnectResult(StorageCapacity Capacity, string? ExistingMarker, IReadOnlyDictionary<string, string> LearnedSettings);

/// <summary>
/// A storage type. One implementation per project (SFTP now; a mounted filesystem or Swift later);
/// the API layer only talks to this interface and <see cref="BackupStorageDriverRegistry"/>.
/// </summary>
public interface IBackupStorageDriver : IImageStore
{
    /// <summary>ZStack type name, e.g. <c>SftpBackupStorage</c>.</summary>
    string Type { get; }

    StorageCapabilities Capabilities { get; }

    /// <summary>
    /// Reaches the storage, checks it is usable (creating the directory when missing unless the target is
    /// <see cref="BackupStorageTarget.Known"/>, refusing a file),
    /// reads the identity marker if any, and measures capacity. Does not write the marker.
    /// </summary>
    Task<ConnectResult> ConnectAsync(BackupStorageTarget target, CancellationToken cancellationToken);

    /// <summary>Writes (or replaces) the identity marker holding <see cref="BackupStorageTarget.Uuid"/>.</summary>
    Task WriteMarkerAsync(BackupStorageTarget target, CancellationToken cancellationToken);

    /// <summary>Removes the identity marker if it still holds this backup storage's uuid; best effort on delete.</summary>
    Task RemoveMarkerAsync(BackupStorageTarget target, CancellationToken cancellationToken);

    /// <summary>
    /// Proves the storage is still this backup storage: reachable (pinned identity), the location exists,
    /// is writable and holds our marker. Throws <see cref="StorageException"/> with the reason otherwise.
    /// </summary>
    Task<StorageCapacity> PingAsync(BackupStorageTarget target, CancellationToken cancellationToken);

    /// <summary>Re-measures capacity.</summary>
    Task<StorageCapacity> GetCapacityAsync(BackupStorageTarget target, CancellationToken cancellationToken);

    /// <summary>Drops any pooled connection to this backup storage (its settings changed, or it was deleted).</summary>
    void Forget(string backupStorageUuid);
}

public enum StorageFailure
{
    /// <summary>Cannot reach the host or the connection dropped; a retry may help.</summary>
    Unreachable,

    /// <summary>Credentials refused.</summary>
    AuthenticationFailed,

    /// <summary>The host presented a different identity than the pinned one; needs an admin decision.</summary>
    HostKeyMismatch,

    /// <summary>The location is not usable: a file, not writable, missing tools.</summary>
    BadLocation,

    /// <summary>The location holds another backup storage's marker, or lost ours.</summary>
    IdentityMismatch,

    /// <summary>A command failed on the storage.</summary>
    CommandFailed,

    Timeout,

    /// <summary>The host cannot fetch the source (no curl or wget, or it cannot reach it); Stowage may stream it instead.</summary>
    SourceUnreachable,

    /// <summary>The source answered with an error, broke off, or the bytes did not match what was announced or expected.</summary>
    SourceFailed,

    /// <summary>The storage ran out of space.</summary>
    NoSpace,
}

/// <summary>A driver failure with a kind that tells callers whether retrying may help.</summary>
public sealed class StorageException(StorageFailure failure, string message, Exception? inner = null) : Exception(message, inner)
{
    public StorageFailure Failure { get; } = failure;

    public bool Retryable => Failure is StorageFailure.Unreachable or StorageFailure.Timeout;
}

/// <summary>The registered storage types; GetBackupStorageTypes lists them.</summary>
public sealed class BackupStorageDriverRegistry(IEnumerable<IBackupStorageDriver> drivers)
{
    private readonly Dictionary<string, IBackupStorageDriver> _drivers = drivers.ToDictionary(d => d.Type, StringComparer.Ordinal);

    public IReadOnlyCollection<string> Types => _drivers.Keys;

    public IBackupStorageDriver Get(string type) =>
        _drivers.TryGetValue(type, out var d) ? d : throw new InvalidOperationException($"BackupStorageType type: {type} was not registered by any driver");

    public bool TryGet(string type, out IBackupStorageDriver driver) => _drivers.TryGetValue(type, out driver!);
}
