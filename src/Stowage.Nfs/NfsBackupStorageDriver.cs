using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Stowage.Core.Storage;
using Stowage.FileSystem;

namespace Stowage.Nfs;

/// <summary>
/// Backup storage on an NFS export that Stowage speaks to itself (NFSv3 through libnfs): no kernel mount, no
/// root, no stale mount point. It is the filesystem driver core (<see cref="FileStoreDriver"/>: layout,
/// part files, digests while writing, marker, metadata file, sweeping) over <see cref="NfsFileAccess"/>.
/// The url is <c>server:/export/path</c> or <c>nfs://server[:port]/export/path</c>; the settings
/// <see cref="NfsPortSetting"/> and <see cref="MountPortSetting"/> fix the ports when the server does not
/// publish them through rpcbind, <see cref="UidSetting"/>/<see cref="GidSetting"/> choose the AUTH_SYS identity
/// (0/0 by default, like a root-run agent). Each backup storage keeps its own pool of connections, replaced
/// when its settings change and dropped by <see cref="Forget"/>. Register as a singleton.
/// </summary>
public sealed class NfsBackupStorageDriver(ILogger<NfsBackupStorageDriver>? logger = null, NfsOptions? options = null) : FileStoreDriver(logger), IDisposable
{
    public const string TypeName = "NfsBackupStorage";
    public const string NfsPortSetting = "nfsPort";
    public const string MountPortSetting = "mountPort";
    public const string UidSetting = "uid";
    public const string GidSetting = "gid";

    private readonly NfsOptions _options = options ?? new NfsOptions();
    private readonly ConcurrentDictionary<string, (NfsConfig Config, NfsFileAccess Access)> _accesses = new(StringComparer.Ordinal);

    // No storage host: nothing pulls urls or copies host files on the storage side; uploads resume on the part file.
    private static readonly StorageCapabilities NfsCapabilities = new(
        ReadsFiles: true, WritesFiles: true, HostPullsFromUrl: false, ExportsOverHttp: true, ResumableUpload: true, CopiesHostFiles: false, VerifiesStoredFiles: true);

    public override string Type => TypeName;

    public override StorageCapabilities Capabilities => NfsCapabilities;

    /// <summary>What one backup storage's settings say: where, and as whom.</summary>
    public sealed record NfsConfig(NfsLocation Location, int Uid, int Gid);

    /// <summary>
    /// Checks a url and the settings the way every operation reads them; the reason when they are unusable,
    /// else null. For the Add/Update APIs, which answer the reason as a bad request.
    /// </summary>
    public static string? CheckSettings(string? url, int? nfsPort, int? mountPort, int? uid, int? gid)
    {
        try
        {
            _ = NfsLocation.Parse(url ?? "", nfsPort, mountPort);
        }
        catch (FormatException e)
        {
            return e.Message;
        }
        return uid is < 0 || gid is < 0 ? "uid and gid cannot be negative" : null;
    }

    /// <summary>The configuration of <paramref name="target"/>, or BadLocation with the reason.</summary>
    public static NfsConfig ConfigOf(BackupStorageTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        try
        {
            return new NfsConfig(
                NfsLocation.Parse(target.Url, Int(target, NfsPortSetting), Int(target, MountPortSetting)),
                Int(target, UidSetting) ?? 0,
                Int(target, GidSetting) ?? 0);
        }
        catch (FormatException e)
        {
            throw new StorageException(StorageFailure.BadLocation, $"backup storage {target.Uuid}: {e.Message}");
        }
    }

    public override void Forget(string backupStorageUuid)
    {
        if (_accesses.TryRemove(backupStorageUuid, out var old))
        {
            old.Access.Dispose();
        }
    }

    protected override IFileAccess Access(BackupStorageTarget target)
    {
        var config = ConfigOf(target);
        while (true)
        {
            if (_accesses.TryGetValue(target.Uuid, out var current))
            {
                if (current.Config == config)
                {
                    return current.Access;
                }
                // The settings changed (UpdateNfsBackupStorage): new pool, the old one goes once its users return.
                if (_accesses.TryUpdate(target.Uuid, (config, New(config)), current))
                {
                    current.Access.Dispose();
                    return _accesses[target.Uuid].Access;
                }
                continue;
            }
            var created = (config, New(config));
            if (_accesses.TryAdd(target.Uuid, created))
            {
                return created.Item2;
            }
        }
    }

    protected override string Root(BackupStorageTarget target) => ConfigOf(target).Location.Path;

    protected override string Where(BackupStorageTarget target) => $"{target.Url} (NFS)";

    public void Dispose()
    {
        foreach (var uuid in _accesses.Keys)
        {
            Forget(uuid);
        }
    }

    private NfsFileAccess New(NfsConfig config) => new(config.Location, _options with { Uid = config.Uid, Gid = config.Gid });

    private static int? Int(BackupStorageTarget target, string name) =>
        target.Setting(name) is { Length: > 0 } text
            ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var v) ? v : throw new FormatException($"{name} {text} is not a number")
            : null;
}
