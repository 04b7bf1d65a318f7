using System.Text.Json.Nodes;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.StorageTypes;

/// <summary>
/// The FileSystem type: directories of this machine (the test server's own), under one base directory made for
/// the run, so the url and the local path are the same.
/// </summary>
public sealed class FileSystemStorageFixture : IStorageTypeFixture, IDisposable
{
    public const string TypeName = "FileSystemBackupStorage";

    private readonly string _base = Directory.CreateTempSubdirectory("stowage-fs-world.").FullName;
    private bool _broken;

    public string Type => TypeName;

    public string ApiPath => "/backup-storage/file-system";

    public string InventoryClass => "org.zstack.storage.backup.filesystem.FileSystemBackupStorageInventory";

    public StorageTypeTraits Traits { get; } = new(HostPullsFromUrl: false, HostFileSource: true, HostToHostCopy: false, DirectFetch: false);

    public StorageLocation NewLocation(string name = "bs")
    {
        var path = Path.Combine(_base, $"{name}-{Guid.NewGuid():N}"[..(name.Length + 13)]);
        return new StorageLocation(path, path);
    }

    public JsonObject AddParams(StorageLocation location, string name) => new()
    {
        ["name"] = name,
        ["url"] = location.Url,
        ["importImages"] = false,
    };

    /// <summary>
    /// Every directory disappears the way an unmounted shared filesystem does: as root a read-only tmpfs is mounted
    /// over the base (the urls are gone and nothing can be created there); otherwise the base loses its permissions.
    /// </summary>
    public Task BreakAsync()
    {
        if (!_broken)
        {
            if (Environment.IsPrivilegedProcess)
            {
                Proc.Run("mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", _base);
            }
            else
            {
                Proc.Run("chmod", "000", _base);
            }

            _broken = true;
        }

        return Task.CompletedTask;
    }

    public Task RestoreAsync()
    {
        if (_broken)
        {
            if (Environment.IsPrivilegedProcess)
            {
                Proc.Run("umount", _base);
            }
            else
            {
                Proc.Run("chmod", "700", _base);
            }

            _broken = false;
        }

        return Task.CompletedTask;
    }

    public void Plant(string localPath, byte[] content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(localPath)!);
        File.WriteAllBytes(localPath, content);
    }

    public void Corrupt(string localPath) => LocalFiles.Corrupt(localPath);

    /// <summary>Transfers run inside the server process: what must not be left is a partial file.</summary>
    public void AssertNoTransferLeft(StorageLocation location)
    {
        var parts = Directory.Exists(location.LocalPath)
            ? Directory.EnumerateFiles(location.LocalPath, "*.stowage-part", SearchOption.AllDirectories).ToList()
            : [];
        Assert.Empty(parts);
    }

    public void Dispose()
    {
        RestoreAsync().GetAwaiter().GetResult();
        try
        {
            foreach (var file in Directory.EnumerateFiles(_base, "*", SearchOption.AllDirectories))
            {
                File.SetAttributes(file, FileAttributes.Normal);
            }

            Directory.Delete(_base, recursive: true);
        }
        catch (IOException)
        {
            // Left for the temporary directory clean-up.
        }
    }
}
