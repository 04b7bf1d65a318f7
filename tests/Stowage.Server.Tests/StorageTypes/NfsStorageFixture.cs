using System.Text.Json.Nodes;
using Stowage.Nfs.Tests.Infrastructure;

namespace Stowage.Server.Tests.StorageTypes;

/// <summary>
/// The NFS type over the run's NFS-Ganesha (loopback, NFSv3, fixed ports so no portmapper is asked). Each
/// location is a fresh directory below the export; its files are visible locally in the export's directory.
/// Breaking it kills Ganesha; restoring starts it again on the same ports and export.
/// </summary>
public sealed class NfsStorageFixture(GaneshaServer ganesha) : IStorageTypeFixture
{
    public const string TypeName = "NfsBackupStorage";

    public GaneshaServer Ganesha => ganesha;

    public string Type => TypeName;

    public string ApiPath => "/backup-storage/nfs";

    public string InventoryClass => "org.zstack.storage.backup.nfs.NfsBackupStorageInventory";

    // No storage host: Stowage streams url sources itself and copies by reading and writing.
    public StorageTypeTraits Traits { get; } = new(HostPullsFromUrl: false, HostFileSource: false, HostToHostCopy: false, DirectFetch: false);

    public StorageLocation NewLocation(string name = "bs")
    {
        var dir = $"{name}-{Guid.NewGuid().ToString("N")[..12]}";
        return new StorageLocation(ganesha.Url(dir), Path.Combine(ganesha.ExportDir, dir));
    }

    public JsonObject AddParams(StorageLocation location, string name) => new()
    {
        ["name"] = name,
        ["url"] = location.Url,
        ["nfsPort"] = ganesha.NfsPort,
        ["mountPort"] = ganesha.MountPort,
        ["importImages"] = false,
    };

    public Task BreakAsync()
    {
        ganesha.Kill();
        return Task.CompletedTask;
    }

    public Task RestoreAsync() => ganesha.RestartAsync();

    public void Plant(string localPath, byte[] content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(localPath)!);
        File.WriteAllBytes(localPath, content);
    }

    public void Corrupt(string localPath) => LocalFiles.Corrupt(localPath);

    // Transfers run inside the server (libnfs): there is no transfer process to outlive a job.
    public void AssertNoTransferLeft(StorageLocation location)
    {
    }
}
