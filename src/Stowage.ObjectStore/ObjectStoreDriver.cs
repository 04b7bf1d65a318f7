using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Stowage.Core.Storage;

namespace Stowage.ObjectStore;

/// <summary>
/// The object-store core shared by the Swift and S3 types: an image is one object per image file whose key is
/// its install path without the container, written in segments (Swift SLO, S3 multipart) so the size is unbounded
/// and memory bounded; the identity marker and the image metadata file are small objects beside the image folders.
/// A subclass only says how to build the client of one backup storage. Clients (and their tokens) are kept per
/// backup storage until its settings change or <see cref="Forget"/>.
/// </summary>
public abstract partial class ObjectStoreDriver : IBackupStorageDriver, IImageReader, IStorageHousekeeping, ISignedUrlAccess, IServerSideCopy, IStoredFileVerifier, IDisposable
{
    private static readonly StorageCapabilities ObjectCapabilities = new(
        ReadsFiles: true, WritesFiles: true, HostPullsFromUrl: false, ExportsOverHttp: true,
        HostToHostCopy: false, DirectFetchKeys: false, ResumableUpload: true, CopiesHostFiles: false,
        SignedReadUrls: true, ServerSideCopy: true, VerifiesStoredFiles: true);

    private readonly ConcurrentDictionary<string, (string Fingerprint, IObjectClient Client)> _clients = new(StringComparer.Ordinal);

    protected ObjectStoreDriver(ILogger? logger)
    {
        Logger = logger ?? NullLogger.Instance;
    }

    public abstract string Type { get; }

    public virtual StorageCapabilities Capabilities => ObjectCapabilities;

    private protected ILogger Logger { get; }

    public async Task<ConnectResult> ConnectAsync(BackupStorageTarget target, CancellationToken cancellationToken)
    {
        var (client, location) = Open(target);
        if (!await client.ContainerExistsAsync(cancellationToken))
        {
            await client.CreateContainerAsync(cancellationToken);
        }

        var marker = await ReadMarkerAsync(client, location, cancellationToken);
        var capacity = await CapacityAsync(target, client, location, cancellationToken);
        return new ConnectResult(capacity, marker, new Dictionary<string, string>(StringComparer.Ordinal));
    }

    public async Task WriteMarkerAsync(BackupStorageTarget target, CancellationToken cancellationToken)
    {
        var (client, location) = Open(target);
        await PutSmallAsync(client, location.MarkerKey, Encoding.UTF8.GetBytes(target.Uuid), cancellationToken);
    }

    public async Task RemoveMarkerAsync(BackupStorageTarget target, CancellationToken cancellationToken)
    {
        var (client, location) = Open(target);
        var marker = await ReadMarkerAsync(client, location, cancellationToken);
        if (string.Equals(marker, target.Uuid, StringComparison.OrdinalIgnoreCase))
        {
            await client.DeleteAsync(location.MarkerKey, cancellationToken);
        }
    }

    /// <summary>
    /// The container answers, holds our marker, and takes a write (the marker is written again with the same
    /// content, which proves the credentials may still write without leaving anything new behind).
    /// </summary>
    public async Task<StorageCapacity> PingAsync(BackupStorageTarget target, CancellationToken cancellationToken)
    {
        var (client, location) = Open(target);
        var marker = await ReadMarkerAsync(client, location, cancellationToken);
        if (string.IsNullOrEmpty(marker))
        {
            throw Fail(target, new StorageException(StorageFailure.IdentityMismatch,
                $"container {location.Container} has no identity marker ({location.MarkerKey}): it was wiped or replaced; reconnect the backup storage"));
        }

        if (!string.Equals(marker, target.Uuid, StringComparison.OrdinalIgnoreCase))
        {
            throw Fail(target, new StorageException(StorageFailure.IdentityMismatch, $"container {location.Container} is marked as backup storage {marker}, not {target.Uuid}"));
        }

        await PutSmallAsync(client, location.MarkerKey, Encoding.UTF8.GetBytes(target.Uuid), cancellationToken);
        return await CapacityAsync(target, client, location, cancellationToken);
    }

    public Task<StorageCapacity> GetCapacityAsync(BackupStorageTarget target, CancellationToken cancellationToken)
    {
        var (client, location) = Open(target);
        return CapacityAsync(target, client, location, cancellationToken);
    }

    public void Forget(string backupStorageUuid)
    {
        if (_clients.TryRemove(backupStorageUuid, out var entry))
        {
            entry.Client.Dispose();
        }
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var uuid in _clients.Keys.ToList())
            {
                Forget(uuid);
            }
        }
    }

    /// <summary>A new client for the target's settings and secret (called once per backup storage and settings).</summary>
    private protected abstract IObjectClient CreateClient(BackupStorageTarget target, ObjectStoreLocation location);

    /// <summary>The settings that identify the store and account (endpoint, user): two targets with equal ones share a store.</summary>
    private protected abstract string StoreIdentity(BackupStorageTarget target);

    private protected (IObjectClient Client, ObjectStoreLocation Location) Open(BackupStorageTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        var location = ObjectStoreLocation.Parse(target);
        var fingerprint = Fingerprint(target);
        if (_clients.TryGetValue(target.Uuid, out var entry) && entry.Fingerprint == fingerprint)
        {
            return (entry.Client, location);
        }

        var client = CreateClient(target, location);
        Log.ClientCreated(Logger, target.Uuid, Type, location.Container);
        var stored = _clients.AddOrUpdate(target.Uuid, (fingerprint, client), (_, old) =>
        {
            old.Client.Dispose();
            return (fingerprint, client);
        });
        return (stored.Client, location);
    }

    /// <summary>Settings and secret hashed, so a changed password or endpoint makes a new client (never kept in clear).</summary>
    private static string Fingerprint(BackupStorageTarget target)
    {
        var text = new StringBuilder(target.Url).Append('\n');
        foreach (var (k, v) in target.Settings.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            text.Append(k).Append('=').Append(v).Append('\n');
        }

        text.Append(target.Secret?.Value);
        return Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString())));
    }

    private static async Task<string?> ReadMarkerAsync(IObjectClient client, ObjectStoreLocation location, CancellationToken ct)
    {
        var bytes = await client.GetSmallAsync(location.MarkerKey, 4096, ct);
        return bytes is null ? null : Encoding.UTF8.GetString(bytes).Trim();
    }

    private static Task PutSmallAsync(IObjectClient client, string key, byte[] data, CancellationToken ct) =>
        client.PutAsync(key, data, Checksums.Md5Hex(data), new Dictionary<string, string>(), ct);

    /// <summary>
    /// Swift with an account quota: total = quota, available = quota − account bytes used. Otherwise the
    /// configured totalCapacity, available = total − the bytes of every object (and leftover) under the url.
    /// </summary>
    private async Task<StorageCapacity> CapacityAsync(BackupStorageTarget target, IObjectClient client, ObjectStoreLocation location, CancellationToken ct)
    {
        var usage = await client.AccountUsageAsync(ct);
        if (usage?.QuotaBytes is { } quota)
        {
            return new StorageCapacity(quota, Math.Max(0, quota - usage.BytesUsed));
        }

        var total = ObjectStoreSettings.Long(target, ObjectStoreSettings.TotalCapacity)
            ?? throw Fail(target, new StorageException(StorageFailure.BadLocation,
                $"the store of backup storage {target.Uuid} sets no quota: give the backup storage a {ObjectStoreSettings.TotalCapacity}"));
        var prefix = location.Prefix.Length == 0 ? string.Empty : location.Prefix + "/";
        var objects = await client.ListAsync(prefix, ct);
        var leftovers = await client.ListLeftoversAsync(prefix, ct);
        var used = objects.Sum(o => o.Size) + leftovers.Sum(l => l.Size);
        return new StorageCapacity(total, Math.Max(0, total - used));
    }

    private protected StorageException Fail(BackupStorageTarget target, StorageException e)
    {
        Log.Failed(Logger, target.Uuid, e.Message);
        return e;
    }
}
