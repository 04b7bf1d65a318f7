using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Persistence.Query;
using Stowage.Server.Features.Images;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;
using Stowage.Sftp;

namespace Stowage.Server.Features.BackupStorage.Sftp;

/// <summary>
/// The SFTP storage type (ZStack's SftpBackupStorage): the driver in <c>Stowage.Sftp</c>, its APIs, its
/// query resource and inventory class, and its table <c>sftp_backup_storages</c> keyed by the backup storage uuid.
/// </summary>
/// <param name="exportTransport">The <c>--export-transport</c> setting (<c>auto</c> or <c>sftp</c>, null for auto).</param>
/// <param name="writeTransport">The <c>--write-transport</c> setting (<c>sshnet</c>, the default, or <c>openssh</c>).</param>
public sealed class SftpStorageType(string? exportTransport, string? writeTransport = null) : IStorageTypeModule
{
    public const string TypeName = "SftpBackupStorage";
    public const string InventoryClassName = "org.zstack.storage.backup.sftp.SftpBackupStorageInventory";
    public const string ReconnectError = "BS.SFTP.1000";
    private const string Table = "sftp_backup_storages";

    private readonly ExportTransport _transport = ParseExportTransport(exportTransport);
    private readonly WriteTransport _writeTransport = ParseWriteTransport(writeTransport);

    public SftpStorageType()
        : this(null)
    {
    }

    public string Type => TypeName;

    public string InventoryClass => InventoryClassName;

    public IEnumerable<ApiDescriptor> Apis =>
    [
        AddSftpBackupStorage.Api,
        UpdateSftpBackupStorage.Api,
        ReconnectBackupStorage.Define("ReconnectSftpBackupStorage", "/backup-storage/sftp/{uuid}/actions", "reconnectSftpBackupStorage", ReconnectError, InventoryClassName),
        DownloadCredentialApis.Get,
        DownloadCredentialApis.Rotate,
        .. QueryApi.Define("QuerySftpBackupStorage", "/backup-storage/sftp", "sftpBackupStorage", InventoryClassName,
            (db, rows, ct) => Task.FromResult(rows), "Query SFTP backup storages (adds hostname, username, sshPort)"),
    ];

    public IEnumerable<QueryResource> QueryResources(StorageTypeRegistry types) =>
    [
        BackupStorageQueries.ForType(types, "sftpBackupStorage", "SftpBackupStorageInventory", TypeName,
        [
            BackupStorageQueries.TypeField(Table, "hostname", "hostname"),
            BackupStorageQueries.TypeField(Table, "username", "username"),
            BackupStorageQueries.TypeField(Table, "sshPort", "ssh_port", FieldType.Int),
        ]),
    ];

    public void AddServices(IServiceCollection services)
    {
        Errors.Register(ReconnectError, "Unable to reconnect to sftp backup storage");
        services.AddSingleton(sp => new SftpBackupStorageDriver(sp.GetRequiredService<ILogger<SftpBackupStorageDriver>>()) { ExportTransport = _transport, WriteTransport = _writeTransport });
        services.AddSingleton<IBackupStorageDriver>(sp => sp.GetRequiredService<SftpBackupStorageDriver>());
        services.AddSingleton<IImageSourceOpener, SftpImageSource>();
    }

    public async Task<IStorageTypeRow?> FindAsync(StowageDbContext db, string uuid, bool tracked, CancellationToken ct)
    {
        var query = tracked ? db.SftpBackupStorages : db.SftpBackupStorages.AsNoTracking();
        return await query.FirstOrDefaultAsync(s => s.Uuid == uuid, ct) is { } row ? new SftpTypeRow(row) : null;
    }

    public async Task<IReadOnlyDictionary<string, IStorageTypeRow>> FindManyAsync(StowageDbContext db, IReadOnlyCollection<string> uuids, CancellationToken ct) =>
        await db.SftpBackupStorages.AsNoTracking().Where(s => uuids.Contains(s.Uuid))
            .ToDictionaryAsync(s => s.Uuid, IStorageTypeRow (s) => new SftpTypeRow(s), ct);

    /// <summary><c>--export-transport</c>: how export downloads read from SFTP hosts; a bad value stops the start.</summary>
    public static ExportTransport ParseExportTransport(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "auto" => ExportTransport.Auto,
        "sftp" => ExportTransport.Sftp,
        _ => throw new InvalidOperationException($"invalid --export-transport '{text}': expected auto or sftp"),
    };

    /// <summary>
    /// <c>--write-transport</c>: how streamed writes and uploads reach SFTP hosts; a bad value stops the start.
    /// SSH.NET is the default because it measured faster on a quiet 2-core machine (docs/performance.md: the ssh
    /// child's encryption plus the pipe into it cost more CPU than SSH.NET's AES-GCM saves); <c>openssh</c> (or
    /// <c>auto</c>) takes the OpenSSH child when ssh is installed, for hosts where more cores make it pay.
    /// </summary>
    public static WriteTransport ParseWriteTransport(string? text) => text?.Trim().ToLowerInvariant() switch
    {
        null or "" or "sshnet" => WriteTransport.SshNet,
        "openssh" or "auto" => WriteTransport.Auto,
        _ => throw new InvalidOperationException($"invalid --write-transport '{text}': expected sshnet or openssh"),
    };
}

/// <summary>An <c>sftp_backup_storages</c> row as the driver's settings record: hostname, sshPort, username and the pinned hostKey.</summary>
public sealed class SftpTypeRow(SftpBackupStorageEntity row) : IStorageTypeRow
{
    public SftpBackupStorageEntity Entity => row;

    public IReadOnlyDictionary<string, string> Settings
    {
        get
        {
            var settings = new Dictionary<string, string>(StringComparer.Ordinal)
            {
                ["hostname"] = row.Hostname,
                ["sshPort"] = row.SshPort.ToString(CultureInfo.InvariantCulture),
                ["username"] = row.Username,
            };
            if (row.HostKeyFingerprint is { } fp)
            {
                settings["hostKey"] = fp;
            }

            return settings;
        }
    }

    public string? CredentialCipher => row.CredentialCipher;

    public IReadOnlyDictionary<string, object?> InventoryFields => new Dictionary<string, object?>(StringComparer.Ordinal)
    {
        ["hostname"] = row.Hostname,
        ["username"] = row.Username,
        ["sshPort"] = row.SshPort,

        // The pinned host key (public, not a secret): the console shows it so an admin can compare it with the host's.
        ["hostKeyFingerprint"] = row.HostKeyFingerprint,
    };

    public void Learn(IReadOnlyDictionary<string, string> learned)
    {
        if (learned.TryGetValue("hostKey", out var hostKey))
        {
            row.HostKeyFingerprint = hostKey;
        }
    }
}
