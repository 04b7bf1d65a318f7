using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.Persistence.Entities;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.BackupStorage.Sftp;

/// <summary>AddSftpBackupStorage: SFTP's parameters and checks, then the shared add procedure (<see cref="BackupStorageAdd"/>).</summary>
public static class AddSftpBackupStorage
{
    public static ApiDescriptor Api { get; } = new()
    {
        Name = "AddSftpBackupStorage",
        Method = "POST",
        Path = "/backup-storage/sftp",
        BodyKey = "params",
        TakesTags = true,
        ResultClass = SftpStorageType.InventoryClassName,
        Description = "Add an SFTP backup storage: a directory on a Linux host reached over SSH",
        Params =
        [
            .. BackupStorageAdd.Params("absolute directory on the host"),
            SftpRules.Hostname(required: true),
            SftpRules.Username(required: true),
            SftpRules.Password,
            SftpRules.SshKey,
            SftpRules.SshKeyPassphrase,
            SftpRules.SshPort(withDefault: true),
            SftpRules.HostKeyFingerprint,
        ],
        SerialKey = a => SftpRules.HostSerialKey((a.String("hostname") ?? string.Empty).ToLowerInvariant(), a.Int("sshPort") ?? 22),
        Handler = HandleAsync,
    };

    private static Task<ApiReply> HandleAsync(ApiContext ctx)
    {
        var a = ctx.Args;
        var hostname = SftpRules.CheckHostname(a.RequiredString("hostname"));
        var username = a.RequiredString("username");
        SftpRules.CheckUsername(username);
        var url = SftpRules.NormalizeUrl(a.RequiredString("url"));
        var port = a.Int("sshPort") ?? 22;
        var fingerprint = a.String("hostKeyFingerprint");
        SftpRules.CheckFingerprint(fingerprint);
        BackupStorageAdd.CheckType(a, Api.Name, SftpStorageType.TypeName);
        var secret = Secret(a);
        var cipher = ctx.Get<CredentialProtector>().Protect(secret);
        return BackupStorageAdd.RunAsync(ctx, new NewBackupStorage(
            SftpStorageType.TypeName, url, $"sftp backup storage[name:{a.RequiredString("name")}, url:{url}, hostname:{hostname}]", secret,
            async (db, uuid, now, ct) =>
            {
                await SftpRules.CheckNoOverlapAsync(db, hostname, port, url, null, ct);
                db.SftpBackupStorages.Add(new SftpBackupStorageEntity
                {
                    Uuid = uuid, Hostname = hostname, SshPort = port, Username = username, CredentialKind = secret.Kind.ToString(),
                    CredentialCipher = cipher, HostKeyFingerprint = fingerprint, LastOpDate = now,
                });
            }));
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
}
