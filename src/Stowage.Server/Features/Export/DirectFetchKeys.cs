using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.BackupStorage;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Export;

/// <summary>
/// The direct-fetch key of each backup storage: made here, installed on the host as a read-only SFTP
/// login, kept with its private half protected (<see cref="CredentialProtector"/>), replaced on rotation
/// and removed from the host with the backup storage. Callers hold the backup storage's lock.
/// </summary>
public sealed partial class DirectFetchKeys(CredentialProtector protector, BackupStorageConnector connector, TimeProvider clock, ILogger<DirectFetchKeys> logger)
    : IBackupStorageDeletionHook
{
    public static string Tag(string bsUuid) => "stowage-download-" + bsUuid;

    /// <summary>The stored key, made and installed when there is none; an existing one is installed again (self-healing) when the host is reachable.</summary>
    public async Task<(DownloadCredentialEntity Row, string PrivateKey)> EnsureAsync(StowageDbContext db, BackupStorageEntity bs, BackupStorageTarget target, CancellationToken ct)
    {
        var access = Access(bs);
        var row = await db.DownloadCredentials.FirstOrDefaultAsync(c => c.BackupStorageUuid == bs.Uuid, ct);
        if (row is null)
        {
            return await ReplaceAsync(db, bs, target, ct);
        }

        if (bs.Status == BackupStorageStatus.Connected)
        {
            await InstallAsync(access, bs, target, row.PublicKey, ct);
        }

        return (row, protector.Unprotect(row.PrivateKeyCipher).Value);
    }

    /// <summary>A new key pair replaces the old one on the host (one atomic rename) and then in the database.</summary>
    public async Task<(DownloadCredentialEntity Row, string PrivateKey)> ReplaceAsync(StowageDbContext db, BackupStorageEntity bs, BackupStorageTarget target, CancellationToken ct)
    {
        var access = Access(bs);
        if (bs.Status != BackupStorageStatus.Connected)
        {
            throw ApiException.Operation($"backup storage[uuid:{bs.Uuid}, name:{bs.Name}] is {bs.Status}; its download key can only be installed while it is Connected");
        }

        var pair = access.CreateKey(Tag(bs.Uuid));
        await InstallAsync(access, bs, target, pair.PublicKey, ct);
        var row = await db.DownloadCredentials.FirstOrDefaultAsync(c => c.BackupStorageUuid == bs.Uuid, ct);
        if (row is null)
        {
            row = new DownloadCredentialEntity { BackupStorageUuid = bs.Uuid, PublicKey = pair.PublicKey, PrivateKeyCipher = string.Empty };
            db.DownloadCredentials.Add(row);
        }

        row.PublicKey = pair.PublicKey;
        row.PrivateKeyCipher = protector.Protect(new StorageSecret(StorageSecretKind.PrivateKey, pair.PrivateKey));
        row.CreateDate = clock.GetUtcNow().UtcDateTime;

        // The host already trusts only the new key: the row must follow even if the caller gave up meanwhile.
        await db.SaveChangesAsync(CancellationToken.None);
        return (row, pair.PrivateKey);
    }

    public Task CheckAsync(StowageDbContext db, BackupStorageEntity bs, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>The backup storage goes: its key leaves the host (best effort) and its exports and key row go.</summary>
    public async Task DeleteAsync(StowageDbContext db, BackupStorageEntity bs, BackupStorageTarget? target, bool enforcing, CancellationToken cancellationToken)
    {
        await db.ImageExports.Where(x => x.BackupStorageUuid == bs.Uuid).ExecuteDeleteAsync(CancellationToken.None);
        if (!await db.DownloadCredentials.AnyAsync(c => c.BackupStorageUuid == bs.Uuid, cancellationToken))
        {
            return;
        }

        if (target is not null && connector.Drivers.TryGet(bs.Type, out var driver) && driver is IDirectFetchAccess access)
        {
            try
            {
                await access.RemoveKeyAsync(target, Tag(bs.Uuid), cancellationToken);
            }
            catch (StorageException e)
            {
                LogKeyLeft(logger, bs.Uuid, e.Message);
            }
        }

        await db.DownloadCredentials.Where(c => c.BackupStorageUuid == bs.Uuid).ExecuteDeleteAsync(CancellationToken.None);
    }

    private IDirectFetchAccess Access(BackupStorageEntity bs) =>
        connector.Drivers.TryGet(bs.Type, out var driver) && driver.Capabilities.DirectFetchKeys && driver is IDirectFetchAccess access
            ? access
            : throw StorageRefusal.Lacks(bs, "direct fetch keys (hypervisor hosts reading its files themselves)");

    private static async Task InstallAsync(IDirectFetchAccess access, BackupStorageEntity bs, BackupStorageTarget target, string publicKey, CancellationToken ct)
    {
        try
        {
            await access.InstallKeyAsync(target, publicKey, Tag(bs.Uuid), ct);
        }
        catch (StorageException e)
        {
            throw new ApiException(Errors.Operr($"cannot install the download key on backup storage[uuid:{bs.Uuid}]: {e.Message}"), e.Retryable, e);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "deleted backup storage {Uuid} but could not remove its download key from the host's authorized_keys: {Reason}")]
    private static partial void LogKeyLeft(ILogger logger, string uuid, string reason);
}
