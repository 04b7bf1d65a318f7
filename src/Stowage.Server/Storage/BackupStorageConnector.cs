using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;

namespace Stowage.Server.Storage;

public enum ConnectMode
{
    /// <summary>First connect of an add: a failure leaves the status alone (the add removes the row).</summary>
    NewAdd,

    /// <summary>Reconnect of a known backup storage: the directory must still hold our marker.</summary>
    Reconnect,

    /// <summary>The admin re-pointed the backup storage: an absent or orphaned marker is taken over.</summary>
    Adopt,

    /// <summary>Boot and auto-reconnect: like <see cref="Reconnect"/>, without announcing a Connecting phase every round.</summary>
    Background,
}

public static class BackupStorageStatus
{
    public const string Connecting = "Connecting";
    public const string Connected = "Connected";
    public const string Disconnected = "Disconnected";
}

/// <summary>
/// The connect procedure shared by add, reconnect, update and (later) boot and auto-reconnect:
/// Connecting → driver connect → identity marker → capacity and pinned host key → Connected, or
/// Disconnected with the reason. Callers hold the backup storage's lock (<see cref="LockKey"/>).
/// </summary>
public sealed class BackupStorageConnector(
    BackupStorageDriverRegistry drivers,
    StorageTypeRegistry types,
    CredentialProtector credentials,
    BackupStorageEvents events,
    TimeProvider clock)
{
    public static string LockKey(string uuid) => "bs-" + uuid;

    public BackupStorageDriverRegistry Drivers => drivers;

    public StorageTypeRegistry Types => types;

    /// <summary>The driver's view of a backup storage: the common row, the type's settings record and the secret in clear.</summary>
    public BackupStorageTarget BuildTarget(BackupStorageEntity bs, IStorageTypeRow? row, StorageSecret? secretOverride = null)
    {
        var secret = secretOverride ?? (row?.CredentialCipher is { } cipher ? credentials.Unprotect(cipher) : null);
        return new BackupStorageTarget(bs.Uuid, bs.Url, row?.Settings ?? EmptyStorageTypeRow.Instance.Settings, secret);
    }

    /// <summary>The type's row of <paramref name="bs"/> (tracked when <paramref name="tracked"/>); an unknown type has none.</summary>
    public async Task<IStorageTypeRow?> FindRowAsync(StowageDbContext db, BackupStorageEntity bs, bool tracked, CancellationToken ct) =>
        types.Find(bs.Type) is { } module ? await module.FindAsync(db, bs.Uuid, tracked, ct) : null;

    /// <summary>Reads the type's row and builds the target, for work that changes nothing of the rows.</summary>
    public async Task<BackupStorageTarget> LoadTargetAsync(StowageDbContext db, BackupStorageEntity bs, CancellationToken ct) =>
        BuildTarget(bs, await FindRowAsync(db, bs, tracked: false, ct));

    /// <summary>Runs the connect and records its outcome on the tracked entities (the caller saves).</summary>
    public async Task ConnectAsync(StowageDbContext db, BackupStorageEntity bs, IStorageTypeRow? row, BackupStorageTarget target, ConnectMode mode, CancellationToken cancellationToken)
    {
        var driver = drivers.Get(bs.Type);
        var before = bs.Status;
        if (mode is ConnectMode.Reconnect or ConnectMode.Adopt && bs.Status != BackupStorageStatus.Connecting)
        {
            SetStatus(db, bs, BackupStorageStatus.Connecting, null);
            await db.SaveChangesAsync(cancellationToken);
        }

        try
        {
            var result = await driver.ConnectAsync(mode is ConnectMode.Reconnect or ConnectMode.Background ? target with { Known = true } : target, cancellationToken);
            await ClaimMarkerAsync(db, driver, bs.Type, target, result.ExistingMarker, mode, cancellationToken);
            bs.TotalCapacity = result.Capacity.Total;
            bs.AvailableCapacity = await BackupStorageCapacity.AvailableAsync(db, bs.Uuid, result.Capacity.Available, cancellationToken);
            row?.Learn(result.LearnedSettings);

            bs.LastError = null;
            SetStatus(db, bs, BackupStorageStatus.Connected, null);
        }
        catch (StorageException e) when (mode != ConnectMode.NewAdd)
        {
            driver.Forget(bs.Uuid);
            bs.LastError = e.Message;
            SetStatus(db, bs, BackupStorageStatus.Disconnected, e.Message);
            if (before == BackupStorageStatus.Connected)
            {
                events.Disconnected(db, bs.Uuid, e.Message);
            }

            // The failure itself must be recorded even when the caller's token is what failed it.
            await db.SaveChangesAsync(CancellationToken.None);
            throw;
        }
        catch (StorageException)
        {
            driver.Forget(bs.Uuid);
            throw;
        }
    }

    public void SetStatus(StowageDbContext db, BackupStorageEntity bs, string status, string? reason)
    {
        if (bs.Status == status)
        {
            return;
        }

        events.StatusChanged(db, bs.Uuid, bs.Status, status, reason);
        bs.Status = status;
        bs.LastOpDate = clock.GetUtcNow().UtcDateTime;
    }

    private static async Task ClaimMarkerAsync(StowageDbContext db, IBackupStorageDriver driver, string type, BackupStorageTarget target, string? marker, ConnectMode mode, CancellationToken ct)
    {
        marker = marker?.Trim();
        if (marker == target.Uuid)
        {
            return;
        }

        if (!string.IsNullOrEmpty(marker) && await db.BackupStorages.AnyAsync(b => b.Uuid == marker, ct))
        {
            throw new StorageException(StorageFailure.IdentityMismatch,
                $"the directory {target.Url} already belongs to backup storage[uuid:{marker}]; two backup storages cannot share a directory");
        }

        if (mode is ConnectMode.Reconnect or ConnectMode.Background)
        {
            throw new StorageException(StorageFailure.IdentityMismatch, string.IsNullOrEmpty(marker)
                ? MarkerLost(target.Url, type)
                : $"the directory {target.Url} holds the identity of another backup storage[uuid:{marker}] instead of this one");
        }

        await driver.WriteMarkerAsync(target, ct);
    }

    /// <summary>
    /// The one text of a lost identity marker: lastError, the reconnect refusal and the docs all give this instruction,
    /// which works (an update with the credential again is a connection change, so it adopts the directory).
    /// </summary>
    /// <param name="url">The backup storage's directory.</param>
    /// <param name="type">The storage type (<c>SftpBackupStorage</c>), whose update API is Update&lt;type&gt;.</param>
    public static string MarkerLost(string url, string type) =>
        $"the directory {url} no longer holds this backup storage's identity marker (it was wiped, replaced or re-pointed); " +
        $"if the directory is the right one, adopt it with Update{type} (SFTP: give its password or sshKey again; FileSystem: adoptDirectory=true): that writes a new marker and reconnects";

    /// <summary>Turns a driver failure into the API error of the calling operation.</summary>
    public static ApiException Failure(string code, string what, StorageException e) =>
        new(Errors.Of(code, what, Errors.Of(Errors.Operation, e.Message)), e.Retryable, e);
}
