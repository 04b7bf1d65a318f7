using Stowage.Core.Storage;

namespace Stowage.Nfs.Tests;

public sealed class NfsLocationTests
{
    [Theory]
    [InlineData("nas:/export/path", "nas", "/export/path", null)]
    [InlineData("10.0.0.5:/srv//nfs/", "10.0.0.5", "/srv/nfs", null)]
    [InlineData("[fd00::1]:/export", "[fd00::1]", "/export", null)]
    [InlineData("nfs://nas/export/path", "nas", "/export/path", null)]
    [InlineData("nfs://nas:20490/export", "nas", "/export", 20490)]
    [InlineData("NFS://[::1]:2049/e", "[::1]", "/e", 2049)]
    [InlineData("nas:/", "nas", "/", null)]
    public void Parses_both_forms(string url, string server, string path, int? port)
    {
        var l = NfsLocation.Parse(url);
        Assert.Equal(server, l.Server);
        Assert.Equal(path, l.Path);
        Assert.Equal(port, l.NfsPort);
        Assert.Null(l.MountPort);
    }

    [Fact]
    public void Takes_ports_as_parameters()
    {
        var l = NfsLocation.Parse("nas:/e", nfsPort: 20490, mountPort: 20048);
        Assert.Equal((20490, 20048), (l.NfsPort!.Value, l.MountPort!.Value));
        Assert.Equal(20490, NfsLocation.Parse("nfs://nas:20490/e", nfsPort: 20490).NfsPort);
        Assert.Equal("nas:/e", l.ToString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("nas")]
    [InlineData("nas:export")]
    [InlineData("/export")]
    [InlineData(":/export")]
    [InlineData("nas:/a/../b")]
    [InlineData("nas:/a/./b")]
    [InlineData("nfs://nas")]
    [InlineData("nfs:///export")]
    [InlineData("nfs://nas:0/e")]
    [InlineData("nfs://nas:70000/e")]
    [InlineData("nfs://nas:x/e")]
    [InlineData("na s:/e")]
    [InlineData("user@nas:/e")]
    [InlineData("nas;rm:/e")]
    [InlineData("nas:/e\n")]
    public void Refuses_what_is_not_a_location(string url) => Assert.Throws<FormatException>(() => NfsLocation.Parse(url));

    [Fact]
    public void Refuses_bad_or_conflicting_ports()
    {
        Assert.Throws<FormatException>(() => NfsLocation.Parse("nfs://nas:2049/e", nfsPort: 2050));
        Assert.Throws<FormatException>(() => NfsLocation.Parse("nas:/e", nfsPort: 0));
        Assert.Throws<FormatException>(() => NfsLocation.Parse("nas:/e", mountPort: 65536));
    }

    [Theory]
    [InlineData("/export/bs/images/a", "/export/bs", "/images/a")]
    [InlineData("/export/bs", "/export/bs", "/")]
    [InlineData("/export//bs/", "/export", "/bs")]
    [InlineData("/x/y", "/", "/x/y")]
    public void Maps_server_paths_into_the_mounted_directory(string path, string mountRoot, string expected) =>
        Assert.Equal(expected, NfsFileAccess.ToExportPath(path, mountRoot));

    [Theory]
    [InlineData("/export/bsx/a", "/export/bs")]
    [InlineData("/export/bs/../other", "/export/bs")]
    [InlineData("relative", "/export")]
    public void Refuses_paths_outside_the_mounted_directory(string path, string mountRoot) =>
        Assert.Equal(StorageFailure.BadLocation, Assert.Throws<StorageException>(() => NfsFileAccess.ToExportPath(path, mountRoot)).Failure);

    [Theory]
    [InlineData(13, "Permission denied", StorageFailure.BadLocation)]
    [InlineData(2, "", StorageFailure.BadLocation)]
    [InlineData(28, "", StorageFailure.NoSpace)]
    [InlineData(122, "", StorageFailure.NoSpace)]
    [InlineData(4, "Command was cancelled", StorageFailure.Timeout)]
    [InlineData(4, "Socket failed with POLLHUP", StorageFailure.Unreachable)]
    [InlineData(111, "", StorageFailure.Unreachable)]
    [InlineData(5, "nfs_service failed", StorageFailure.Unreachable)]
    [InlineData(14, "mount_cb: Poll failed", StorageFailure.Unreachable)]
    [InlineData(14, "Bad address", StorageFailure.CommandFailed)]
    [InlineData(5, "Input/output error", StorageFailure.CommandFailed)]
    [InlineData(39, "", StorageFailure.CommandFailed)]
    public void Maps_errno_to_failure_kinds(int errno, string message, StorageFailure kind) => Assert.Equal(kind, NfsErrors.Kind(errno, message));
}
