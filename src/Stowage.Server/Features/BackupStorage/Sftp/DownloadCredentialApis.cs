using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.Export;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.BackupStorage.Sftp;

/// <summary>
/// GetSftpBackupStorageDownloadCredential (sync, admin only): what a hypervisor host needs to fetch image
/// files itself over SFTP, read-only, with a key of its own rather than Stowage's login. Rotate replaces the
/// key; its (stored) job result carries only the public key, so fetch the new private key with Get.
/// </summary>
public static class DownloadCredentialApis
{
    private const string SystemAdmin = "SystemAdmin";

    public static ApiDescriptor Get { get; } = new()
    {
        Name = "GetSftpBackupStorageDownloadCredential",
        Method = "GET",
        Path = "/backup-storage/sftp/{uuid}/download-credential",
        Kind = ApiKind.Sync,
        Description = "Admin only: {hostname, sshPort, username, privateKey, publicKey, hostKeyFingerprint, url} of a read-only SFTP login (its own ed25519 key, confined to reading) for hosts that fetch image files directly",
        Params = [BackupStorageParams.BsUuid()],
        OwnerBackupStorage = a => a.String("uuid"),
        Handler = ctx => HandleAsync(ctx, rotate: false),
    };

    public static ApiDescriptor Rotate { get; } = new()
    {
        Name = "RotateSftpBackupStorageDownloadCredential",
        Method = "PUT",
        Path = "/backup-storage/sftp/{uuid}/actions",
        BodyKey = "rotateSftpBackupStorageDownloadCredential",
        Description = "Admin only: replace the direct-fetch key on the host at once (the old key stops working); answers the new public key, get the private key with GetSftpBackupStorageDownloadCredential",
        Params = [BackupStorageParams.BsUuid()],
        SerialKey = a => BackupStorageConnector.LockKey(a.String("uuid") ?? string.Empty),
        Handler = ctx => HandleAsync(ctx, rotate: true),
    };

    private static async Task<ApiReply> HandleAsync(ApiContext ctx, bool rotate)
    {
        var ct = ctx.CancellationToken;
        var uuid = ctx.Args.RequiredString("uuid");
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        var accountType = await db.Accounts.AsNoTracking().Where(a => a.Uuid == ctx.Session!.AccountUuid).Select(a => a.Type).FirstOrDefaultAsync(ct);
        if (accountType != SystemAdmin)
        {
            throw new ApiException(Errors.Of(Errors.PermissionDenied, "only the admin account may get or rotate backup storage download credentials"));
        }

        using var held = await ctx.Get<KeyedLocks>().AcquireAsync(BackupStorageConnector.LockKey(uuid), ct);
        var bs = await SimpleBackupStorageApis.FindAsync(db, uuid, ct);
        var sftp = await db.SftpBackupStorages.AsNoTracking().FirstOrDefaultAsync(s => s.Uuid == uuid, ct)
            ?? throw new ApiException(Errors.Of(Errors.UnknownMessage, $"backup storage[uuid:{uuid}] is not an SFTP backup storage"));
        var keys = ctx.Get<DirectFetchKeys>();
        var target = ctx.Get<BackupStorageConnector>().BuildTarget(bs, new SftpTypeRow(sftp));
        var (row, privateKey) = rotate ? await keys.ReplaceAsync(db, bs, target, ct) : await keys.EnsureAsync(db, bs, target, ct);
        var reply = new JsonObject
        {
            ["backupStorageUuid"] = uuid,
            ["hostname"] = sftp.Hostname,
            ["sshPort"] = sftp.SshPort,
            ["username"] = sftp.Username,
            ["hostKeyFingerprint"] = sftp.HostKeyFingerprint,
            ["url"] = bs.Url,
            ["publicKey"] = row.PublicKey,
        };
        if (!rotate)
        {
            reply["privateKey"] = privateKey;
        }

        return ApiReply.Of(reply);
    }
}
