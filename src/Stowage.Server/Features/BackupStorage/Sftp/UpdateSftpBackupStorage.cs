using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.Common;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.BackupStorage.Sftp;

/// <summary>
/// Changes name/description and the connection of an SFTP backup storage. A changed connection
/// (host, port, user, credential, accepted host key) is tried first; only if that connect succeeds is
/// anything saved, so a failed update leaves the backup storage exactly as it was.
/// </summary>
public static class UpdateSftpBackupStorage
{
    public static ApiDescriptor Api { get; } = new()
    {
        Name = "UpdateSftpBackupStorage",
        Method = "PUT",
        Path = "/backup-storage/sftp/{uuid}/actions",
        BodyKey = "updateSftpBackupStorage",
        ResultClass = SftpStorageType.InventoryClassName,
        Description = "Change an SFTP backup storage; connection changes are verified by a reconnect and rolled back if it fails. acceptHostKey=true pins the host's current key after a legitimate change",
        Params =
        [
            BackupStorageParams.BsUuid(),
            new("name") { MaxLength = 255, EmptyString = false, Description = "new name" },
            new("description") { MaxLength = 2048, Description = "new description" },
            SftpRules.Hostname(required: false),
            SftpRules.Username(required: false),
            SftpRules.Password,
            SftpRules.SshKey,
            SftpRules.SshKeyPassphrase,
            SftpRules.SshPort(withDefault: false),
            SftpRules.HostKeyFingerprint,
            new("acceptHostKey", ParamType.Bool) { Description = "forget the pinned host key and pin the one the host presents now (or hostKeyFingerprint when given)" },
        ],
        SerialKey = a => BackupStorageConnector.LockKey(a.String("uuid") ?? string.Empty),
        Handler = HandleAsync,
    };

    private static async Task<ApiReply> HandleAsync(ApiContext ctx)
    {
        var a = ctx.Args;
        var ct = ctx.CancellationToken;
        var uuid = a.RequiredString("uuid");
        var connector = ctx.Get<BackupStorageConnector>();
        var clock = ctx.Get<TimeProvider>();
        using var held = await ctx.Get<KeyedLocks>().AcquireAsync(BackupStorageConnector.LockKey(uuid), ct);
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        var bs = await SimpleBackupStorageApis.FindAsync(db, uuid, ct);
        var sftp = await db.SftpBackupStorages.FirstOrDefaultAsync(s => s.Uuid == uuid, ct)
            ?? throw ApiException.Argument($"backup storage[uuid:{uuid}] is not an SFTP backup storage");

        var hostname = a.String("hostname") is { } h ? SftpRules.CheckHostname(h) : sftp.Hostname;
        var port = a.Int("sshPort") ?? sftp.SshPort;
        var username = a.String("username") ?? sftp.Username;
        SftpRules.CheckUsername(username);
        var fingerprint = a.String("hostKeyFingerprint");
        SftpRules.CheckFingerprint(fingerprint);
        StorageSecret? newSecret = a.Has("password") || a.Has("sshKey") ? AddSftpBackupStorage.Secret(a) : null;
        var moved = hostname != sftp.Hostname || port != sftp.SshPort;
        var connectionChanged = moved || username != sftp.Username || newSecret is not null || a.Bool("acceptHostKey") == true || fingerprint is not null;

        if (connectionChanged)
        {
            if (moved)
            {
                await SftpRules.CheckNoOverlapAsync(db, hostname, port, bs.Url, uuid, ct);
            }

            var secret = newSecret ?? ctx.Get<CredentialProtector>().Unprotect(sftp.CredentialCipher);
            var candidate = new SftpBackupStorageEntity
            {
                Uuid = uuid, Hostname = hostname, SshPort = port, Username = username, CredentialKind = secret.Kind.ToString(),
                CredentialCipher = sftp.CredentialCipher,
                // A new host, or an admin accepting a changed key, pins afresh; otherwise the old pin must hold.
                HostKeyFingerprint = fingerprint ?? (moved || a.Bool("acceptHostKey") == true ? null : sftp.HostKeyFingerprint),
                LastOpDate = sftp.LastOpDate,
            };
            var probe = new BackupStorageEntity
            {
                Uuid = uuid, Name = bs.Name, Url = bs.Url, Type = bs.Type, State = bs.State, Status = BackupStorageStatus.Connecting,
            };
            await using (var scratch = ctx.Get<StowageDbContextFactory>().CreateDbContext())
            {
                try
                {
                    // The probe runs on detached copies: nothing of it is saved unless it succeeds.
                    var candidateRow = new SftpTypeRow(candidate);
                    await connector.ConnectAsync(scratch, probe, candidateRow, connector.BuildTarget(probe, candidateRow, secret), ConnectMode.Adopt, ct);
                }
                catch (StorageException e)
                {
                    connector.Drivers.Get(bs.Type).Forget(uuid);
                    throw BackupStorageConnector.Failure(Errors.Operation, $"the new connection settings of backup storage[uuid:{uuid}] do not work; nothing was changed", e);
                }
            }

            sftp.Hostname = hostname;
            sftp.SshPort = port;
            sftp.Username = username;
            sftp.HostKeyFingerprint = candidate.HostKeyFingerprint;
            if (newSecret is not null)
            {
                sftp.CredentialKind = newSecret.Kind.ToString();
                sftp.CredentialCipher = ctx.Get<CredentialProtector>().Protect(newSecret);
            }

            sftp.LastOpDate = clock.GetUtcNow().UtcDateTime;
            bs.TotalCapacity = probe.TotalCapacity;
            bs.AvailableCapacity = probe.AvailableCapacity;
            bs.LastError = null;
            connector.SetStatus(db, bs, BackupStorageStatus.Connected, "connection settings updated");
            connector.Drivers.Get(bs.Type).Forget(uuid);
        }

        SimpleBackupStorageApis.ApplyNameAndDescription(a, bs, clock);
        await ResourceIndex.SaveAsync(db, ct);
        return (await BackupStorageInventory.LoadOneAsync(ctx, db, uuid)).Reply();
    }
}
