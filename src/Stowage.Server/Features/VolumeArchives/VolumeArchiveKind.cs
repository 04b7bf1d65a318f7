using Stowage.Server.Protocol;

namespace Stowage.Server.Features.VolumeArchives;

/// <summary>
/// The two kinds of volume data kept on backup storages: volume snapshots (ZStack's VolumeSnapshotVO with
/// its VolumeSnapshotBackupStorageRefVO) and volume backups (ZStack's volume backups). They share the table,
/// the copy pipeline and the API handlers; a kind says what differs: names, paths, folder and file suffix.
/// </summary>
public sealed record VolumeArchiveKind(
    string Kind,
    string ApiNoun,
    string Noun,
    string Path,
    string ResourceType,
    string InventoryClass,
    string QueryName,
    string RefQueryName,
    string RefUuidField,
    string Folder,
    string Extension,
    bool HasTree)
{
    public static VolumeArchiveKind Snapshot { get; } = new(
        "VolumeSnapshot", "VolumeSnapshot", "volume snapshot", "/volume-snapshots", "VolumeSnapshotVO",
        "org.zstack.header.storage.snapshot.VolumeSnapshotInventory", "volumeSnapshot", "volumeSnapshotBackupStorageRef", "volumeSnapshotUuid",
        "volumeSnapshots", "snapshot", HasTree: true);

    public static VolumeArchiveKind Backup { get; } = new(
        "VolumeBackup", "VolumeBackup", "volume backup", "/volume-backups", "VolumeBackupVO",
        "org.zstack.header.storage.backup.VolumeBackupInventory", "volumeBackup", "volumeBackupBackupStorageRef", "volumeBackupUuid",
        "volumes", "volume", HasTree: false);

    public static IReadOnlyList<VolumeArchiveKind> All { get; } = [Snapshot, Backup];

    /// <summary>The kind stored in a row's <c>Kind</c> column.</summary>
    public static VolumeArchiveKind Of(string kind) => All.First(k => k.Kind == kind);

    /// <summary>ZStack's install path rule (§11.2): <c>&lt;url&gt;/&lt;folder&gt;/acct-&lt;account&gt;/&lt;uuid&gt;/&lt;uuid&gt;.&lt;ext&gt;</c>.</summary>
    public string InstallPath(string bsUrl, string accountUuid, string uuid) =>
        $"{bsUrl.TrimEnd('/')}/{Folder}/acct-{accountUuid}/{uuid}/{uuid}.{Extension}";

    public ParamSpec UuidParam(string name = "uuid") => new(name) { InPath = true, Required = true, ResourceType = ResourceType, Description = Noun + " uuid" };
}
