using System.Security.Cryptography;
using Stowage.Core.Storage;
using Stowage.FileSystem;
using Stowage.Nfs.Tests.Infrastructure;

namespace Stowage.Nfs.Tests;

/// <summary>The NFS backup-storage driver (the filesystem core over NfsFileAccess) against a real NFS-Ganesha.</summary>
[Collection("nfs")]
public sealed class NfsDriverTests(NfsFixture fixture) : IDisposable
{
    private readonly GaneshaServer _server = fixture.Server;
    private readonly NfsBackupStorageDriver _driver = new(options: new NfsOptions { Timeout = TestData.CallTimeout });

    public void Dispose() => _driver.Dispose();

    private BackupStorageTarget Target(string? url = null, string? uuid = null, int? uid = null) => new(
        uuid ?? Guid.NewGuid().ToString("N"),
        url ?? _server.Url("d-" + Guid.NewGuid().ToString("N")[..12]),
        new Dictionary<string, string>
        {
            [NfsBackupStorageDriver.NfsPortSetting] = _server.NfsPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [NfsBackupStorageDriver.MountPortSetting] = _server.MountPort.ToString(System.Globalization.CultureInfo.InvariantCulture),
            [NfsBackupStorageDriver.UidSetting] = (uid ?? 0).ToString(System.Globalization.CultureInfo.InvariantCulture),
        },
        null);

    private string Local(BackupStorageTarget target, string relative = "") =>
        Path.Combine(_server.ExportDir, target.Url[(target.Url.IndexOf(GaneshaServer.Pseudo, StringComparison.Ordinal) + GaneshaServer.Pseudo.Length)..].TrimStart('/'), relative);

    [Fact]
    public async Task Connect_creates_the_directory_then_marker_ping_write_read_and_delete_work()
    {
        var target = Target();
        var connected = await _driver.ConnectAsync(target, default);
        Assert.Null(connected.ExistingMarker);
        Assert.True(connected.Capacity.Total > 0);
        Assert.True(Directory.Exists(Local(target)));

        await _driver.WriteMarkerAsync(target, default);
        Assert.Equal(target.Uuid + "\n", await File.ReadAllTextAsync(Local(target, FileStoreDriver.MarkerFileName)));
        var capacity = await _driver.PingAsync(target, default);
        Assert.Equal(connected.Capacity.Total, capacity.Total);

        var data = TestData.Bytes((5 << 20) + 3, seed: 5);
#pragma warning disable CA5351 // ZStack's images carry md5 sums; the test checks the driver computes the same one.
        var md5 = Convert.ToHexStringLower(MD5.HashData(data));
#pragma warning restore CA5351
        var sha = Convert.ToHexStringLower(SHA256.HashData(data));
        var installPath = target.Url + "/rootVolumeTemplates/acct/img1/disk.template";
        var facts = await _driver.WriteFromStreamAsync(target, new MemoryStream(data), installPath, new ImageExpectations(data.Length, md5, sha), null, default);
        Assert.Equal((installPath, (long)data.Length, md5, sha, "raw"), (facts.InstallPath, facts.ActualSize, facts.Md5, facts.Sha256, facts.Format));
        Assert.Equal(data, await File.ReadAllBytesAsync(Local(target, "rootVolumeTemplates/acct/img1/disk.template")));
        Assert.False(File.Exists(Local(target, "rootVolumeTemplates/acct/img1/disk.template" + FileStoreDriver.PartSuffix)));

        await using (var read = await _driver.OpenReadAsync(target, installPath, 1000, default))
        {
            Assert.Equal(data.Length, read.Length);
            using var copy = new MemoryStream();
            await read.CopyToAsync(copy);
            Assert.Equal(data.AsSpan(1000).ToArray(), copy.ToArray());
        }

        var files = await _driver.ListImageFilesAsync(target, default);
        Assert.Equal(["rootVolumeTemplates/acct/img1/disk.template"], files.Select(f => f.RelativePath));

        await _driver.DeleteImageAsync(target, installPath, default);
        Assert.False(File.Exists(Local(target, "rootVolumeTemplates/acct/img1/disk.template")));

        await _driver.RemoveMarkerAsync(target, default);
        Assert.False(File.Exists(Local(target, FileStoreDriver.MarkerFileName)));
    }

    [Fact]
    public async Task A_mismatched_write_leaves_no_file_and_ping_sees_another_marker()
    {
        var target = Target();
        await _driver.ConnectAsync(target, default);
        await _driver.WriteMarkerAsync(target, default);
        var installPath = target.Url + "/rootVolumeTemplates/acct/img2/disk.template";
        var e = await Assert.ThrowsAsync<StorageException>(() =>
            _driver.WriteFromStreamAsync(target, new MemoryStream(TestData.Bytes(100_000, 6)), installPath, new ImageExpectations(Md5: new string('0', 32)), null, default));
        Assert.Equal(StorageFailure.SourceFailed, e.Failure);
        Assert.False(Directory.Exists(Local(target, "rootVolumeTemplates/acct/img2")));

        var other = target with { Uuid = Guid.NewGuid().ToString("N") };
        var ping = await Assert.ThrowsAsync<StorageException>(() => _driver.PingAsync(other, default));
        Assert.Equal(StorageFailure.IdentityMismatch, ping.Failure);
    }

    [Fact]
    public async Task Nfs_urls_and_settings_are_checked()
    {
        Assert.Null(NfsBackupStorageDriver.CheckSettings("nas:/export", 2049, 20048, 1000, 1000));
        Assert.Null(NfsBackupStorageDriver.CheckSettings("nfs://nas:2049/export", null, null, null, null));
        Assert.NotNull(NfsBackupStorageDriver.CheckSettings("/export", null, null, null, null));
        Assert.NotNull(NfsBackupStorageDriver.CheckSettings("nas:/export", 0, null, null, null));
        Assert.NotNull(NfsBackupStorageDriver.CheckSettings("nas:/export", null, null, -1, null));

        var bad = Target() with { Settings = new Dictionary<string, string> { [NfsBackupStorageDriver.NfsPortSetting] = "x" } };
        var e = await Assert.ThrowsAsync<StorageException>(() => _driver.ConnectAsync(bad, default));
        Assert.Equal(StorageFailure.BadLocation, e.Failure);
    }

    [Fact]
    public async Task A_uid_that_may_not_write_fails_connect_as_not_writable()
    {
        var name = "ro-" + Guid.NewGuid().ToString("N")[..12];
        Directory.CreateDirectory(Path.Combine(_server.ExportDir, name));
        var target = Target(_server.Url(name), uid: 1000);
        var e = await Assert.ThrowsAsync<StorageException>(() => _driver.ConnectAsync(target, default));
        Assert.Equal(StorageFailure.BadLocation, e.Failure);
        Assert.Contains("not writable", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forgetting_and_changed_settings_give_a_fresh_pool()
    {
        var target = Target();
        await _driver.ConnectAsync(target, default);
        _driver.Forget(target.Uuid);
        await _driver.ConnectAsync(target, default);
        var moved = target with { Url = target.Url + "-moved" };
        await _driver.ConnectAsync(moved, default);
        Assert.True(Directory.Exists(Local(moved)));
    }
}
