using System.Text.Json.Nodes;
using Stowage.Server.Tests.Images;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.StorageTypes;

/// <summary>The SFTP type over the run's shared sshd (on loopback, so its directories are local too).</summary>
public sealed class SftpStorageFixture(SshdFixture sshd) : IStorageTypeFixture
{
    public const string TypeName = "SftpBackupStorage";

    public SshdFixture Sshd => sshd;

    public string Type => TypeName;

    public string ApiPath => "/backup-storage/sftp";

    public string InventoryClass => "org.zstack.storage.backup.sftp.SftpBackupStorageInventory";

    public StorageTypeTraits Traits { get; } = new(HostPullsFromUrl: true, HostFileSource: true, HostToHostCopy: true, DirectFetch: true);

    public StorageLocation NewLocation(string name = "bs")
    {
        var path = sshd.NewPath(name);
        return new StorageLocation(path, path);
    }

    public JsonObject AddParams(StorageLocation location, string name) => new()
    {
        ["name"] = name,
        ["url"] = location.Url,
        ["hostname"] = sshd.Host,
        ["username"] = sshd.User,
        ["password"] = sshd.Password,
        ["sshPort"] = sshd.Port,
        ["importImages"] = false,
    };

    public Task BreakAsync()
    {
        sshd.Stop();
        return Task.CompletedTask;
    }

    public Task RestoreAsync() => sshd.StartAsync();

    public void Plant(string localPath, byte[] content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(localPath)!);
        File.WriteAllBytes(localPath, content);
        Proc.Run("chown", "-R", $"{sshd.User}:", Path.GetDirectoryName(localPath)!);
    }

    public void Corrupt(string localPath) => LocalFiles.Corrupt(localPath);

    public void AssertNoTransferLeft(StorageLocation location) => ImageKit.NoProcessFor(sshd.User, location.LocalPath);
}
