using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Stowage.Core.Storage;

namespace Stowage.FileSystem;

/// <summary>
/// The driver core of the filesystem family (FileSystem, NFS), over <see cref="IFileAccess"/>. It keeps the
/// SFTP type's layout and facts exactly: the url holds the identity marker <c>.stowage-backup-storage</c>
/// (the uuid and a newline), the image metadata index <c>bs_sftp_info.json</c> and the image folders; a write
/// lands in <c>&lt;install path&gt;.stowage-part</c>, is synced, checked (size announced, md5 and sha256
/// computed while the bytes arrived, expected checksums), made read-only (0444) and renamed into place; a
/// resumable upload grows <c>&lt;install path&gt;.stowage-upload</c> between requests. A failed or cancelled
/// write leaves no file. A type supplies the file access for a backup storage, the url's directory in that
/// access's path space, and may refine format detection and the creation of a missing url.
/// </summary>
public abstract partial class FileStoreDriver : IBackupStorageDriver, IImageReader, IStorageHousekeeping, IStoredFileVerifier
{
    /// <summary>Name of the identity marker file inside the url (the SFTP type's name).</summary>
    public const string MarkerFileName = ".stowage-backup-storage";

    /// <summary>ZStack's image metadata index in the url: one image inventory (JSON) per line.</summary>
    public const string MetadataFileName = "bs_sftp_info.json";

    /// <summary>Suffix of a file being written; the sweeper removes those no transfer owns.</summary>
    public const string PartSuffix = IStorageHousekeeping.TempSuffix;

    /// <summary>Suffix of a partial upload, kept between requests; its lifetime follows the upload's row.</summary>
    public const string UploadSuffix = ".stowage-upload";

    /// <summary>Name prefix of the directory created and removed to prove the url is writable.</summary>
    public const string WriteTestPrefix = ".stowage-write-test.";

    /// <summary>Mode of a finished image file: read-only for everyone (the SFTP type's <c>chmod a-w</c> of 0644).</summary>
    public const int ReadOnlyMode = 0b100_100_100;

    private const int MarkerReadLimit = 256;
    private const int MaxMetadata = 32 * 1024 * 1024;

    private static readonly StorageCapabilities FileCapabilities = new(ReadsFiles: true, WritesFiles: true, HostPullsFromUrl: false, ExportsOverHttp: true, ResumableUpload: true, VerifiesStoredFiles: true);

    protected FileStoreDriver(ILogger? logger) => Logger = logger ?? NullLogger.Instance;

    public abstract string Type { get; }

    public virtual StorageCapabilities Capabilities => FileCapabilities;

    /// <summary>Limit for clean-up after a failed or cancelled write (it runs without the caller's token).</summary>
    public static TimeSpan CleanupTimeout { get; } = TimeSpan.FromSeconds(30);

    protected ILogger Logger { get; }

    public async Task<ConnectResult> ConnectAsync(BackupStorageTarget target, CancellationToken cancellationToken)
    {
        return await GuardAsync(target, async (access, root) =>
        {
            var existing = await access.StatAsync(root, cancellationToken);
            if (existing is null && target.Known)
            {
                // A known backup storage's directory is never re-created: empty, it would only fail the marker check,
                // after writing where a missing mount or a wiped directory used to be.
                await CheckDirectoryAsync(access, target, root, cancellationToken);
            }
            else if (existing is null)
            {
                await CheckCreatableAsync(target, root, cancellationToken);
                try
                {
                    await access.CreateDirectoryAsync(root, cancellationToken);
                }
                catch (StorageException e) when (e.Failure != StorageFailure.Timeout)
                {
                    throw new StorageException(e.Failure == StorageFailure.Unreachable ? e.Failure : StorageFailure.BadLocation,
                        $"cannot create directory {Where(target)}: {e.Message}", e);
                }
            }
            else if (!existing.IsDirectory)
            {
                throw new StorageException(StorageFailure.BadLocation, $"url {Where(target)} exists and is not a directory (a regular file or another kind of file)");
            }

            await ProveWritableAsync(access, target, root, cancellationToken);
            var marker = await ReadMarkerAsync(access, root, cancellationToken);
            var capacity = await access.StatFsAsync(root, cancellationToken);
            return new ConnectResult(capacity, string.IsNullOrEmpty(marker) ? null : marker, new Dictionary<string, string>(StringComparer.Ordinal));
        });
    }

    public Task WriteMarkerAsync(BackupStorageTarget target, CancellationToken cancellationToken) =>
        GuardAsync(target, async (access, root) =>
        {
            await CheckDirectoryAsync(access, target, root, cancellationToken);
            var marker = Join(root, MarkerFileName);
            var temp = $"{marker}.tmp.{Unique()}";
            try
            {
                await WriteAllAsync(access, temp, Encoding.UTF8.GetBytes(target.Uuid + "\n"), cancellationToken);
                await access.RenameAsync(temp, marker, cancellationToken);
            }
            catch (StorageException e)
            {
                await DiscardAsync(access, temp, null);
                throw new StorageException(e.Failure is StorageFailure.Unreachable or StorageFailure.Timeout ? e.Failure : StorageFailure.BadLocation,
                    $"directory {Where(target)} is not writable: {e.Message}", e);
            }

            return true;
        });

    public Task RemoveMarkerAsync(BackupStorageTarget target, CancellationToken cancellationToken) =>
        GuardAsync(target, async (access, root) =>
        {
            try
            {
                if (string.Equals(await ReadMarkerAsync(access, root, cancellationToken), target.Uuid, StringComparison.Ordinal))
                {
                    await access.DeleteFileAsync(Join(root, MarkerFileName), cancellationToken);
                }
            }
            catch (StorageException e) when (e.Failure is StorageFailure.BadLocation)
            {
                // Best effort on delete: a missing or unreadable directory has no marker of ours to remove.
            }

            return true;
        });

    /// <summary>Directory present (as seen by this server), writable (a subdirectory is created and removed), marker equal to the uuid, and the capacity.</summary>
    public Task<StorageCapacity> PingAsync(BackupStorageTarget target, CancellationToken cancellationToken) =>
        GuardAsync(target, async (access, root) =>
        {
            await CheckDirectoryAsync(access, target, root, cancellationToken);
            await ProveWritableAsync(access, target, root, cancellationToken);
            var marker = await ReadMarkerAsync(access, root, cancellationToken);
            if (string.IsNullOrEmpty(marker))
            {
                throw new StorageException(StorageFailure.IdentityMismatch,
                    $"directory {Where(target)} has no identity marker ({MarkerFileName}): it was wiped or replaced, or is not mounted here; reconnect the backup storage");
            }

            if (!string.Equals(marker, target.Uuid, StringComparison.OrdinalIgnoreCase))
            {
                throw new StorageException(StorageFailure.IdentityMismatch, $"directory {Where(target)} is marked as backup storage {marker}, not {target.Uuid}");
            }

            return await access.StatFsAsync(root, cancellationToken);
        });

    public Task<StorageCapacity> GetCapacityAsync(BackupStorageTarget target, CancellationToken cancellationToken) =>
        GuardAsync(target, async (access, root) =>
        {
            await CheckDirectoryAsync(access, target, root, cancellationToken);
            return await access.StatFsAsync(root, cancellationToken);
        });

    public virtual void Forget(string backupStorageUuid)
    {
    }

    /// <summary>The file access for a backup storage (the driver does not dispose it; <see cref="Forget"/> may).</summary>
    protected abstract IFileAccess Access(BackupStorageTarget target);

    /// <summary>The url's directory in the path space of <see cref="Access"/>, without a trailing slash; refuses a url the type cannot use (BadLocation).</summary>
    protected abstract string Root(BackupStorageTarget target);

    /// <summary>The url as messages name it, e.g. <c>/srv/images on server host1</c>.</summary>
    protected virtual string Where(BackupStorageTarget target) => target.Url;

    /// <summary>Called before a missing url is created on connect; throws BadLocation to refuse (e.g. an unmounted mount point).</summary>
    protected virtual Task CheckCreatableAsync(BackupStorageTarget target, string root, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Fails with the reason, logged; every public operation's failure passes here once.</summary>
    protected StorageException Fail(BackupStorageTarget target, StorageException e)
    {
        Log.Failed(Logger, target.Uuid, e.Message);
        return e;
    }

    protected static string Join(string directory, string name) => directory.TrimEnd('/') + "/" + name;

    protected static string Unique() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8));

    /// <summary>Resolves access and root, runs <paramref name="work"/>, logs its storage failure.</summary>
    private async Task<T> GuardAsync<T>(BackupStorageTarget target, Func<IFileAccess, string, Task<T>> work)
    {
        try
        {
            return await work(Access(target), Root(target));
        }
        catch (StorageException e)
        {
            throw Fail(target, e);
        }
    }

    private async Task CheckDirectoryAsync(IFileAccess access, BackupStorageTarget target, string root, CancellationToken ct)
    {
        var entry = await access.StatAsync(root, ct);
        if (entry is null)
        {
            throw new StorageException(StorageFailure.BadLocation, $"directory {Where(target)} does not exist (is the filesystem mounted?)");
        }

        if (!entry.IsDirectory)
        {
            throw new StorageException(StorageFailure.BadLocation, $"url {Where(target)} exists and is not a directory (a regular file or another kind of file)");
        }
    }

    /// <summary>
    /// Proves entries can be created in the url by making and removing a uniquely named subdirectory, as the
    /// SFTP type does: it fails on a directory without write permission, a read-only mount and a root-squashed
    /// export alike, which cheaper probes (touching an existing file) do not.
    /// </summary>
    private async Task ProveWritableAsync(IFileAccess access, BackupStorageTarget target, string root, CancellationToken ct)
    {
        var probe = Join(root, WriteTestPrefix + Unique());
        try
        {
            await access.CreateDirectoryAsync(probe, ct);
            await access.DeleteDirectoryAsync(probe, ct);
        }
        catch (StorageException e) when (e.Failure is not (StorageFailure.Unreachable or StorageFailure.Timeout))
        {
            throw new StorageException(StorageFailure.BadLocation, $"directory {Where(target)} is not writable: {e.Message}", e);
        }
    }

    /// <summary>The first line of the marker, trimmed, at most 256 bytes; null when there is none.</summary>
    private static async Task<string?> ReadMarkerAsync(IFileAccess access, string root, CancellationToken ct)
    {
        var path = Join(root, MarkerFileName);
        if (await access.StatAsync(path, ct) is not { IsDirectory: false })
        {
            return null;
        }

        var bytes = await ReadAllAsync(access, path, MarkerReadLimit, ct);
        var text = Encoding.UTF8.GetString(bytes);
        var end = text.IndexOf('\n', StringComparison.Ordinal);
        return (end < 0 ? text : text[..end]).Trim();
    }

    /// <summary>At most <paramref name="limit"/> bytes from the start of a file.</summary>
    private static async Task<byte[]> ReadAllAsync(IFileAccess access, string path, int limit, CancellationToken ct)
    {
        await using var stream = await access.OpenReadAsync(path, 0, ct);
        using var collected = new MemoryStream();
        var chunk = new byte[Math.Min(limit, 64 * 1024)];
        int n;
        while (collected.Length < limit && (n = await stream.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, limit - collected.Length)), ct)) > 0)
        {
            collected.Write(chunk, 0, n);
        }

        return collected.ToArray();
    }

    /// <summary>Writes a small file in full and syncs it.</summary>
    private static async Task WriteAllAsync(IFileAccess access, string path, ReadOnlyMemory<byte> content, CancellationToken ct)
    {
        await using var stream = await access.OpenWriteAsync(path, FileWriteMode.Truncate, ct);
        await stream.WriteAsync(content, ct);
        await stream.FlushAsync(ct);
    }

    /// <summary>Best-effort removal of a file and then of its folder when that is left empty; never throws, bounded by <see cref="CleanupTimeout"/>.</summary>
    private async Task DiscardAsync(IFileAccess access, string file, string? folder)
    {
        using var limit = new CancellationTokenSource(CleanupTimeout);
        try
        {
            await access.DeleteFileAsync(file, limit.Token);
            if (folder is not null)
            {
                await access.DeleteDirectoryAsync(folder, limit.Token);
            }
        }
        catch (Exception e) when (e is StorageException or OperationCanceledException)
        {
            // A non-empty folder stays; a leftover part file is removed by the sweeper.
            Log.CleanupFailed(Logger, file, e.Message);
        }
    }
}
