using Stowage.Core.Storage;
using Stowage.FileSystem;
using Stowage.Nfs.Tests.Infrastructure;

namespace Stowage.Nfs.Tests;

/// <summary>What the server refuses: another uid's directory and file, an export that is not there or went away.</summary>
[Collection("nfs")]
public sealed class NfsPermissionTests(NfsFixture fixture)
{
    private readonly GaneshaServer _server = fixture.Server;

    private static string NewName() => "p-" + Guid.NewGuid().ToString("N")[..12];

    [Fact]
    public async Task A_uid_without_rights_gets_permission_denied_as_a_bad_location()
    {
        // Made on the server's disk as root: 0755 directory, 0600 file.
        var name = NewName();
        var dir = Directory.CreateDirectory(Path.Combine(_server.ExportDir, name)).FullName;
        File.SetUnixFileMode(dir, (UnixFileMode)0x1ED);
        var secret = Path.Combine(dir, "secret");
        await File.WriteAllBytesAsync(secret, [1, 2, 3]);
        File.SetUnixFileMode(secret, UnixFileMode.UserRead | UnixFileMode.UserWrite);

        var options = new NfsOptions { Timeout = TestData.CallTimeout, Uid = 1000, Gid = 1000 };
        var location = _server.Location(name);
        await using var access = new NfsFileAccess(location, options);

        var e = await Assert.ThrowsAsync<StorageException>(() => access.CreateDirectoryAsync(location.Path + "/images", default));
        Assert.Equal(StorageFailure.BadLocation, e.Failure);
        Assert.Contains("permission denied", e.Message, StringComparison.Ordinal);

        e = await Assert.ThrowsAsync<StorageException>(() => access.OpenWriteAsync(location.Path + "/new", FileWriteMode.Truncate, default));
        Assert.Equal(StorageFailure.BadLocation, e.Failure);
        Assert.False(File.Exists(Path.Combine(dir, "new")));

        e = await Assert.ThrowsAsync<StorageException>(() => access.OpenReadAsync(location.Path + "/secret", 0, default));
        Assert.Equal(StorageFailure.BadLocation, e.Failure);
        Assert.Contains("permission denied", e.Message, StringComparison.Ordinal);

        // The same uid in a directory it owns: files come out as that uid on the server's disk.
        var own = Path.Combine(dir, "own");
        Directory.CreateDirectory(own);
        File.SetUnixFileMode(own, (UnixFileMode)0x1ED);
        Shell.Run("chown", "1000:1000", own);
        await NfsFileAccessTests.WriteAsync(access, location.Path + "/own/file", [7], FileWriteMode.Truncate);
        Assert.Equal(new byte[] { 7 }, await File.ReadAllBytesAsync(Path.Combine(own, "file")));
        Assert.Equal(1000, Owner(Path.Combine(own, "file")));
    }

    [Fact]
    public async Task An_export_that_does_not_exist_is_a_bad_location()
    {
        var location = NfsLocation.Parse("127.0.0.1:/not-exported/dir", _server.NfsPort, _server.MountPort);
        await using var access = new NfsFileAccess(location, new NfsOptions { Timeout = TestData.CallTimeout });
        var e = await Assert.ThrowsAsync<StorageException>(() => access.StatFsAsync(location.Path, default));
        Assert.Equal(StorageFailure.BadLocation, e.Failure);
        Assert.Contains("exports no directory", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_directory_below_the_export_is_created_through_the_export()
    {
        var location = _server.Location(NewName() + "/deeper/still");
        await using var access = new NfsFileAccess(location, new NfsOptions { Timeout = TestData.CallTimeout });
        await access.CreateDirectoryAsync(location.Path, default);
        await NfsFileAccessTests.WriteAsync(access, location.Path + "/x", [1], FileWriteMode.Truncate);
        Assert.True(File.Exists(Path.Combine(_server.ExportDir, location.Path[(GaneshaServer.Pseudo.Length + 1)..], "x")));
    }

    [Fact]
    public async Task A_directory_removed_on_the_server_ends_in_a_clear_error_not_a_hang()
    {
        var name = NewName();
        var dir = Directory.CreateDirectory(Path.Combine(_server.ExportDir, name)).FullName;
        var location = _server.Location(name);
        await using var access = new NfsFileAccess(location, new NfsOptions { Timeout = TestData.CallTimeout });
        await NfsFileAccessTests.WriteAsync(access, location.Path + "/a", [1], FileWriteMode.Truncate);

        Directory.Delete(dir, recursive: true);

        // The mounted directory is gone: ESTALE (or ENOENT), never a success that writes elsewhere.
        var e = await Assert.ThrowsAsync<StorageException>(
            () => NfsFileAccessTests.WriteAsync(access, location.Path + "/b", [2], FileWriteMode.Truncate)).WaitAsync(TimeSpan.FromSeconds(90));
        Assert.Equal(StorageFailure.BadLocation, e.Failure);
        Assert.False(Directory.Exists(dir));
    }

    private static int Owner(string path) =>
        int.Parse(Shell.Run("stat", "-c", "%u", path).Trim(), System.Globalization.CultureInfo.InvariantCulture);
}
