using System.Security.Cryptography;
using Stowage.Core.Storage;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Sftp.Tests;

/// <summary>Export reads through the local OpenSSH client against a real sshd: bytes, pinning, secrets, clean-up.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[Collection(SshdCollection.Name)]
public sealed class OpenSshExportReadTests(SshdFixture sshd) : IDisposable
{
    private readonly SftpBackupStorageDriver _driver = new();

    public void Dispose() => _driver.Dispose();

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Reads_the_file_byte_for_byte_from_any_offset_through_an_ssh_child_that_ends_with_the_stream(bool useKey)
    {
        Assert.True(_driver.ExportsThroughOpenSsh, "the tests install openssh-client; ssh must be found");
        var (target, path, content) = await StoreAsync(useKey, "image.raw", 3_000_000);

        await using (var whole = await _driver.OpenReadAsync(target, path, 0, CancellationToken.None))
        {
            Assert.Equal(content.Length, whole.Length);
            var children = ProcessTable.SshChildren();
            Assert.Contains(children, c => c.Name == "ssh");
            Assert.Equal(useKey, children.Any(c => c.Name == "ssh-agent"));
            foreach (var child in children)
            {
                // Neither the password nor the key is on a command line.
                Assert.DoesNotContain(sshd.Password, child.CommandLine, StringComparison.Ordinal);
                Assert.DoesNotContain("PRIVATE KEY", child.CommandLine, StringComparison.Ordinal);
            }

            Assert.Equal(SHA256.HashData(content), SHA256.HashData(await ReadAllAsync(whole)));
        }

        await using (var tail = await _driver.OpenReadAsync(target, path, 2_000_001, CancellationToken.None))
        {
            Assert.Equal(content.Length, tail.Length);
            Assert.Equal(content[2_000_001..], await ReadAllAsync(tail));
        }

        await using (var beyond = await _driver.OpenReadAsync(target, path, content.Length, CancellationToken.None))
        {
            Assert.Empty(await ReadAllAsync(beyond));
        }

        Assert.Empty(ProcessTable.SshChildren());
        AssertNoFilesLeft();
    }

    [Fact]
    public async Task Disposing_mid_file_kills_ssh_and_the_hosts_cat()
    {
        var (target, path, _) = await StoreAsync(useKey: true, "big.raw", 64 * 1024 * 1024);
        var stream = await _driver.OpenReadAsync(target, path, 0, CancellationToken.None);
        var buffer = new byte[1024 * 1024];
        Assert.True(await stream.ReadAsync(buffer) > 0);
        Assert.NotEmpty(ProcessTable.SshChildren());
        Assert.True(await ProcessTable.WaitAsync(() => ProcessTable.Readers(path).Count > 0), "cat runs on the host while the file is read");

        await stream.DisposeAsync();
        Assert.Empty(ProcessTable.SshChildren());
        Assert.True(await ProcessTable.WaitAsync(() => ProcessTable.Readers(path).Count == 0), "cat on the host ends with the download: " + string.Join(", ", ProcessTable.Readers(path)));
        AssertNoFilesLeft();
    }

    [Fact]
    public async Task A_hostile_file_name_is_read_as_a_name_and_runs_nothing()
    {
        var name = "x'; touch pwned; echo '$(touch pwned2) `touch pwned3` \"q\".raw";
        var (target, path, content) = await StoreAsync(useKey: false, name, 10_000);
        await using var s = await _driver.OpenReadAsync(target, path, 5, CancellationToken.None);
        Assert.Equal(content[5..], await ReadAllAsync(s));
        Assert.Empty(Directory.GetFiles(target.Url, "pwned*", SearchOption.AllDirectories));
        Assert.Empty(Directory.GetFiles(Path.GetDirectoryName(sshd.StorageRoot)!, "pwned*"));
    }

    [Fact]
    public async Task A_missing_or_unreadable_file_is_a_bad_location_and_leaves_nothing_running()
    {
        var (target, path, _) = await StoreAsync(useKey: false, "present.raw", 1000);
        var missing = await Assert.ThrowsAsync<StorageException>(() => _driver.OpenReadAsync(target, path + ".gone", 0, CancellationToken.None));
        Assert.Equal(StorageFailure.BadLocation, missing.Failure);
        Assert.Contains("is not on", missing.Message, StringComparison.Ordinal);

        Proc.Run("chmod", "000", path);
        var denied = await Assert.ThrowsAsync<StorageException>(() => _driver.OpenReadAsync(target, path, 0, CancellationToken.None));
        Assert.Equal(StorageFailure.BadLocation, denied.Failure);
        Assert.Contains("not readable", denied.Message, StringComparison.Ordinal);
        Assert.Empty(ProcessTable.SshChildren());
        AssertNoFilesLeft();
    }

    [Fact]
    public async Task Ssh_trusts_only_the_pinned_host_key_and_reports_a_refused_login()
    {
        var tools = _driver.OpenSsh!;
        var (target, path, _) = await StoreAsync(useKey: false, "pinned.raw", 1000);
        var endpoint = SftpEndpoint.From(target);

        // Another host's key under the alias: ssh must refuse to talk to this sshd.
        Proc.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(target.Url, "other"));
        var otherKey = File.ReadAllText(Path.Combine(target.Url, "other.pub")).Split(' ');
        var wrongLine = $"{ImageCommands.PeerAlias} {otherKey[0]} {otherKey[1]}";
        var changed = await Assert.ThrowsAsync<StorageException>(() => OpenSshReadStream.OpenAsync(tools, endpoint, wrongLine, path, 0, TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.Equal(StorageFailure.HostKeyMismatch, changed.Failure);

        var hostKey = sshd.HostPublicKey.Split(' ');
        var rightLine = $"{ImageCommands.PeerAlias} {hostKey[0]} {hostKey[1]}";
        var wrong = SftpEndpoint.From(sshd.Target(target.Url, password: "not-the-password"));
        var refused = await Assert.ThrowsAsync<StorageException>(() => OpenSshReadStream.OpenAsync(tools, wrong, rightLine, path, 0, TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.Equal(StorageFailure.AuthenticationFailed, refused.Failure);
        Assert.DoesNotContain("not-the-password", refused.Message, StringComparison.Ordinal);

        // askpass hands ssh one line: a password with a line break is left to the SFTP reader.
        var twoLines = SftpEndpoint.From(sshd.Target(target.Url, password: "first\nsecond"));
        await Assert.ThrowsAsync<OpenSshUnusableException>(() => OpenSshReadStream.OpenAsync(tools, twoLines, rightLine, path, 0, TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.Empty(ProcessTable.SshChildren());
        AssertNoFilesLeft();
    }

    [Fact]
    public async Task Turning_openssh_off_reads_over_sftp_without_a_child_process()
    {
        _driver.ExportTransport = ExportTransport.Sftp;
        var (target, path, content) = await StoreAsync(useKey: false, "sftp.raw", 500_000);
        await using var s = await _driver.OpenReadAsync(target, path, 100, CancellationToken.None);
        Assert.Empty(ProcessTable.SshChildren());
        Assert.Equal(content[100..], await ReadAllAsync(s));
    }

    private async Task<(BackupStorageTarget Target, string Path, byte[] Content)> StoreAsync(bool useKey, string name, int size)
    {
        var dir = sshd.NewOwnedDir("export");
        var target = sshd.Target(dir, useKey: useKey);
        await _driver.ConnectAsync(target, CancellationToken.None);
        var content = RandomNumberGenerator.GetBytes(size);
        var folder = Path.Combine(dir, "images");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name);
        await File.WriteAllBytesAsync(path, content);
        Proc.Run("chown", "-R", $"{sshd.User}:", folder);
        return (target, path, content);
    }

    private void AssertNoFilesLeft()
    {
        var dir = _driver.OpenSsh!.Directory;
        Assert.Equal(["askpass"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
        Assert.DoesNotContain(sshd.Password, File.ReadAllText(Path.Combine(dir, "askpass")), StringComparison.Ordinal);
    }

    private static async Task<byte[]> ReadAllAsync(Stream s)
    {
        using var copy = new MemoryStream();
        await s.CopyToAsync(copy);
        return copy.ToArray();
    }
}
