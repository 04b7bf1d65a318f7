using System.Globalization;
using Stowage.Core.Storage;

namespace Stowage.FileSystem.Tests;

/// <summary>Connect, marker, ping and capacity of the FileSystem type on real directories.</summary>
public sealed class ConnectTests : IDisposable
{
    private readonly TestDir _dir = new();
    private readonly FileSystemBackupStorageDriver _driver = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Connect_creates_the_directory_then_the_marker_makes_ping_succeed()
    {
        var url = Path.Combine(_dir.Path, "a", "b", "bs");
        var target = TestDir.Target(url);

        var result = await _driver.ConnectAsync(target, CancellationToken.None);

        Assert.True(Directory.Exists(url));
        Assert.Null(result.ExistingMarker);
        Assert.True(result.Capacity.Total > 0);
        var ping = await Assert.ThrowsAsync<StorageException>(() => _driver.PingAsync(target, CancellationToken.None));
        Assert.Equal(StorageFailure.IdentityMismatch, ping.Failure);

        await _driver.WriteMarkerAsync(target, CancellationToken.None);
        Assert.Equal(target.Uuid + "\n", await File.ReadAllTextAsync(Path.Combine(url, FileStoreDriver.MarkerFileName)));
        Assert.True((await _driver.PingAsync(target, CancellationToken.None)).Total > 0);
        Assert.Equal(target.Uuid, (await _driver.ConnectAsync(target, CancellationToken.None)).ExistingMarker);
        Assert.Equal([FileStoreDriver.MarkerFileName], Directory.EnumerateFileSystemEntries(url).Select(Path.GetFileName));
    }

    [Fact]
    public async Task Another_backup_storages_marker_fails_ping_and_is_never_removed()
    {
        var url = _dir.Url();
        var owner = TestDir.Target(url);
        await _driver.ConnectAsync(owner, CancellationToken.None);
        await _driver.WriteMarkerAsync(owner, CancellationToken.None);
        var other = TestDir.Target(url);

        var e = await Assert.ThrowsAsync<StorageException>(() => _driver.PingAsync(other, CancellationToken.None));
        Assert.Equal(StorageFailure.IdentityMismatch, e.Failure);
        Assert.Contains(owner.Uuid, e.Message, StringComparison.Ordinal);
        Assert.Equal(owner.Uuid, (await _driver.ConnectAsync(other, CancellationToken.None)).ExistingMarker);

        await _driver.RemoveMarkerAsync(other, CancellationToken.None);
        Assert.True(File.Exists(Path.Combine(url, FileStoreDriver.MarkerFileName)));
        await _driver.RemoveMarkerAsync(owner, CancellationToken.None);
        Assert.False(File.Exists(Path.Combine(url, FileStoreDriver.MarkerFileName)));
    }

    [Fact]
    public async Task A_directory_that_disappeared_is_reported_and_ping_does_not_recreate_it()
    {
        var url = _dir.Url();
        var target = TestDir.Target(url);
        await _driver.ConnectAsync(target, CancellationToken.None);
        await _driver.WriteMarkerAsync(target, CancellationToken.None);
        Directory.Delete(url, recursive: true);

        var e = await Assert.ThrowsAsync<StorageException>(() => _driver.PingAsync(target, CancellationToken.None));

        Assert.Equal(StorageFailure.BadLocation, e.Failure);
        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);
        Assert.Contains(Environment.MachineName, e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(url));
    }

    [Fact]
    public async Task A_url_under_an_unmounted_fstab_mount_point_is_not_created()
    {
        var point = Path.Combine(_dir.Path, "mnt", "shared");
        Directory.CreateDirectory(point);
        var fstab = Path.Combine(_dir.Path, "fstab");
        await File.WriteAllTextAsync(fstab, $"# comment\nserver:/export {point.Replace(" ", "\\040", StringComparison.Ordinal)} nfs defaults 0 0\n");
        var mountinfo = Path.Combine(_dir.Path, "mountinfo");
        await File.WriteAllTextAsync(mountinfo, "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/vda rw\n");
        _driver.Mounts = () => MountTable.Read(fstab, mountinfo);
        var url = Path.Combine(point, "stowage", "bs");

        var e = await Assert.ThrowsAsync<StorageException>(() => _driver.ConnectAsync(TestDir.Target(url), CancellationToken.None));

        Assert.Equal(StorageFailure.BadLocation, e.Failure);
        Assert.Contains("not mounted", e.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFileSystemEntries(point));

        // Once mounted (listed in mountinfo), the directory is created.
        await File.AppendAllTextAsync(mountinfo, $"40 22 0:50 / {point} rw,relatime shared:2 - nfs server:/export rw\n");
        await _driver.ConnectAsync(TestDir.Target(url), CancellationToken.None);
        Assert.True(Directory.Exists(url));
    }

    [Fact]
    public async Task Bad_urls_are_refused_before_touching_anything()
    {
        var file = Path.Combine(_dir.Path, "file");
        await File.WriteAllTextAsync(file, "x");
        foreach (var url in new[] { "relative/path", "/", "/proc/x", "/sys", "/dev/shm/x", _dir.Path + "/a/../b", file })
        {
            var e = await Assert.ThrowsAsync<StorageException>(() => _driver.ConnectAsync(TestDir.Target(url), CancellationToken.None));
            Assert.Equal(StorageFailure.BadLocation, e.Failure);
        }

        Assert.False(Directory.Exists(Path.Combine(_dir.Path, "b")));
    }

    [Fact]
    public async Task The_reconnect_of_a_known_backup_storage_never_creates_its_vanished_directory()
    {
        var url = Path.Combine(_dir.Path, "gone", "bs");
        var target = TestDir.Target(url);
        await _driver.ConnectAsync(target, CancellationToken.None);
        await _driver.WriteMarkerAsync(target, CancellationToken.None);
        Directory.Delete(url, recursive: true);

        // The parent is still there, so a first connect could create it: a known storage's does not.
        var e = await Assert.ThrowsAsync<StorageException>(() => _driver.ConnectAsync(target with { Known = true }, CancellationToken.None));
        Assert.Equal(StorageFailure.BadLocation, e.Failure);
        Assert.Contains("does not exist", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(url));
    }

    [Fact]
    public async Task Capacity_is_statvfs_with_the_fragment_size_as_df_reports_it()
    {
        var url = _dir.Url();
        var target = TestDir.Target(url);
        await _driver.ConnectAsync(target, CancellationToken.None);

        var capacity = await _driver.GetCapacityAsync(target, CancellationToken.None);
        var df = TestDir.Run("df", "-B1", "--output=size,avail", url).Split('\n')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries);

        Assert.Equal(long.Parse(df[0], CultureInfo.InvariantCulture), capacity.Total);

        // Other processes write to the same disk meanwhile: the available space agrees within 1 GiB.
        Assert.InRange(capacity.Available, long.Parse(df[1], CultureInfo.InvariantCulture) - (1L << 30), long.Parse(df[1], CultureInfo.InvariantCulture) + (1L << 30));
    }

    [RootFact]
    public async Task A_read_only_filesystem_is_not_writable_on_connect_and_ping()
    {
        using var disk = new SmallDisk(Path.Combine(_dir.Path, "ro"), 1, readOnly: true);
        var target = TestDir.Target(disk.Url);

        var connect = await Assert.ThrowsAsync<StorageException>(() => _driver.ConnectAsync(target, CancellationToken.None));
        var ping = await Assert.ThrowsAsync<StorageException>(() => _driver.PingAsync(target, CancellationToken.None));
        var marker = await Assert.ThrowsAsync<StorageException>(() => _driver.WriteMarkerAsync(target, CancellationToken.None));

        foreach (var e in new[] { connect, ping, marker })
        {
            Assert.Equal(StorageFailure.BadLocation, e.Failure);
            Assert.Contains("not writable", e.Message, StringComparison.Ordinal);
            Assert.Contains("read-only", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task A_directory_without_write_permission_is_not_writable_for_an_unprivileged_user()
    {
        if (Environment.IsPrivilegedProcess)
        {
            // root ignores permission bits; the read-only mount test covers it.
            return;
        }

        var url = _dir.Url();
        Directory.CreateDirectory(url);
        File.SetUnixFileMode(url, UnixFileMode.UserRead | UnixFileMode.UserExecute);
        try
        {
            var e = await Assert.ThrowsAsync<StorageException>(() => _driver.ConnectAsync(TestDir.Target(url), CancellationToken.None));
            Assert.Contains("permission denied", e.Message, StringComparison.Ordinal);
        }
        finally
        {
            File.SetUnixFileMode(url, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
