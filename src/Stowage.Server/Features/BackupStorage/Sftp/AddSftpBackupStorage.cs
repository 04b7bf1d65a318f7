using Stowage.Core.Errors;
using Stowage.Core.Resources;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.Common;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.BackupStorage;

public static partial class AddSftpBackupStorage
{
    public static ApiDescriptor Api { get; } = new()
    {
        Name = "AddSftpBackupStorage",
        Method = "POST",
        Path = "/backup-storage/sftp",
        BodyKey = "params",
        TakesTags = true,
        ResultClass = BackupStorageInventory.SftpClass,
        Description = "Add an SFTP backup storage: a directory on a Linux host reached over SSH",
        Params =
        [
            new("name") { Required = true, MaxLength = 255, EmptyString = false, Description = "backup storage name" },
            new("description") { MaxLength = 2048, Description = "free text" },
            new("url") { Required = true, MaxLength = 2048, EmptyString = false, Description = "absolute directory on the host" },
            SftpRules.Hostname(required: true),
            SftpRules.Username(required: true),
            SftpRules.Password,
            SftpRules.SshKey,
            SftpRules.SshKeyPassphrase,
            SftpRules.SshPort(withDefault: true),
            SftpRules.HostKeyFingerprint,
            new("type") { MaxLength = 255, Description = "accepted for SDK compatibility; must be SftpBackupStorage when given" },
            new("importImages", ParamType.Bool) { Default = "false", Description = "register the images listed in <url>/bs_sftp_info.json whose files are there; the reply lists importedImageUuids and skippedImages" },
            new("resourceUuid") { Description = "uuid to give the new backup storage (32 hex)" },
            new("tagUuids", ParamType.StringList) { Description = "accepted for SDK compatibility" },
        ],
        SerialKey = a => SftpRules.HostSerialKey((a.String("hostname") ?? string.Empty).ToLowerInvariant(), a.Int("sshPort") ?? 22),
        Handler = HandleAsync,
    };

    private static async Task<ApiReply> HandleAsync(ApiContext ctx)
    {
        var a = ctx.Args;
        var ct = ctx.CancellationToken;
        var hostname = SftpRules.CheckHostname(a.RequiredString("hostname"));
        var username = a.RequiredString("username");
        SftpRules.CheckUsername(username);
        var url = SftpRules.NormalizeUrl(a.RequiredString("url"));
        var port = a.Int("sshPort") ?? 22;
        var fingerprint = a.String("hostKeyFingerprint");
        SftpRules.CheckFingerprint(fingerprint);
        if (a.String("type") is { } type && type != BackupStorageQueries.SftpType)
        {
            throw ApiException.Argument($"type[{type}] is not valid for AddSftpBackupStorage; it must be {BackupStorageQueries.SftpType}");
        }

        var secret = Secret(a);
        BackupStorageTags.CheckSystemTags(ctx.SystemTags);

        var connector = ctx.Get<BackupStorageConnector>();
        var dbFactory = ctx.Get<StowageDbContextFactory>();
        var clock = ctx.Get<TimeProvider>();
        var now = clock.GetUtcNow().UtcDateTime;

        // Phase 1: the row exists (status Connecting) so queries see the add in progress. Its lock is taken
        // before the row is visible, so no ping, reconnect or hand-over to another server starts mid-add.
        BackupStorageEntity bs;
        SftpBackupStorageEntity sftp;
        IDisposable? held = null;
        await using (var db = dbFactory.CreateDbContext())
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var uuid = await ResourceIndex.ClaimUuidAsync(db, a.String("resourceUuid"), ct);
            await SftpRules.CheckNoOverlapAsync(db, hostname, port, url, null, ct);
            bs = new BackupStorageEntity
            {
                Uuid = uuid, Name = a.RequiredString("name"), Description = a.String("description"), Url = url, Type = BackupStorageQueries.SftpType,
                State = nameof(ResourceState.Enabled), Status = BackupStorageStatus.Connecting, CreateDate = now, LastOpDate = now,
                OwnerNodeId = ctx.Get<Hosting.NodeIdentity>().Id,
            };
            sftp = new SftpBackupStorageEntity
            {
                Uuid = uuid, Hostname = hostname, SshPort = port, Username = username, CredentialKind = secret.Kind.ToString(),
                CredentialCipher = ctx.Get<CredentialProtector>().Protect(secret), HostKeyFingerprint = fingerprint, LastOpDate = now,
            };
            ResourceIndex.Add(db, uuid, BackupStorageQueries.ResourceType, bs.Name, now, ctx.SystemTags, ctx.UserTags);
            db.BackupStorages.Add(bs);
            db.SftpBackupStorages.Add(sftp);
            held = await ctx.Get<KeyedLocks>().AcquireAsync(BackupStorageConnector.LockKey(uuid), ct);
            try
            {
                await ResourceIndex.SaveAsync(db, ct);
                await tx.CommitAsync(ct);
            }
            catch
            {
                held.Dispose();
                throw;
            }
        }

        // Phase 2: connect; any failure removes every trace so a retry with the same resourceUuid works.
        using var locked = held;
        var markerWritten = false;
        try
        {
            await using var db = dbFactory.CreateDbContext();
            db.Attach(bs);
            db.Attach(sftp);
            var target = connector.BuildTarget(bs, sftp, secret);
            await connector.ConnectAsync(db, bs, sftp, target, ConnectMode.NewAdd, ct);
            markerWritten = true;
            await db.SaveChangesAsync(ct);
            var reply = (await BackupStorageInventory.LoadOneAsync(db, bs.Uuid, ct)).Reply();
            if (a.Bool("importImages") == true)
            {
                await Images.ImageImporter.AddToReplyAsync(ctx, bs, target, reply, ct);
            }

            return reply;
        }
        catch (Exception e)
        {
            await RemoveTracesAsync(ctx, bs, sftp, secret, markerWritten);
            if (e is StorageException se)
            {
                throw BackupStorageConnector.Failure(Errors.CreateResource, $"failed to add sftp backup storage[name:{bs.Name}, url:{url}, hostname:{hostname}]", se);
            }

            throw;
        }
    }

    internal static StorageSecret Secret(ApiArguments a)
    {
        var password = a.String("password");
        var key = a.String("sshKey");
        if (password is not null && key is not null)
        {
            throw ApiException.Argument("give either password or sshKey, not both");
        }

        if (key is not null)
        {
            return new StorageSecret(StorageSecretKind.PrivateKey, key, a.String("sshKeyPassphrase"));
        }

        if (string.IsNullOrEmpty(password))
        {
            throw ApiException.Argument("field[password] of message[APIAddSftpBackupStorageMsg] is mandatory, can not be null (or give sshKey)");
        }

        return new StorageSecret(StorageSecretKind.Password, password);
    }

    private static async Task RemoveTracesAsync(ApiContext ctx, BackupStorageEntity bs, SftpBackupStorageEntity sftp, StorageSecret secret, bool markerWritten)
    {
        var connector = ctx.Get<BackupStorageConnector>();
        var driver = connector.Drivers.Get(bs.Type);
        if (markerWritten)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await driver.RemoveMarkerAsync(connector.BuildTarget(bs, sftp, secret), timeout.Token);
            }
            catch (Exception e) when (e is StorageException or OperationCanceledException)
            {
                // The row goes anyway; a stale marker is adopted by the next add of that directory.
            }
        }

        driver.Forget(bs.Uuid);
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        await ResourceIndex.RemoveAsync(db, bs.Uuid, CancellationToken.None);
    }
}
