using System.Diagnostics;
using System.IO.Pipelines;
using System.Security.Cryptography;
using Stowage.Core.Storage;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Sftp.Tests;

/// <summary>
/// Bulk writes through the local OpenSSH client against a real sshd: every login kind, the pinned host key, a
/// killed ssh child, and the SSH.NET fallback. Small files: the size threshold is lowered to 0 for these tests.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
[Collection(SshdCollection.Name)]
public sealed class OpenSshWriteTests(SshdFixture sshd) : IDisposable
{
    private const string Passphrase = "correct horse 'battery' $staple";
    private readonly SftpBackupStorageDriver _driver = new() { OpenSshWriteMinBytes = 0 };

    public void Dispose() => _driver.Dispose();

    [Theory]
    [InlineData("key")]
    [InlineData("key-with-passphrase")]
    [InlineData("password")]
    public async Task A_streamed_write_goes_through_an_ssh_child_and_lands_verified(string login)
    {
        Assert.True(_driver.WritesThroughOpenSsh, "the tests install openssh-client; ssh must be found");
        var (target, install) = await StorageAsync(login);
        var content = RandomNumberGenerator.GetBytes(3_000_000);
        var source = new Pipe();
        var writing = _driver.WriteFromStreamAsync(target, source.Reader.AsStream(), install, new ImageExpectations(content.Length), null, CancellationToken.None);
        await source.Writer.WriteAsync(content.AsMemory(0, 1_500_000));
        // HashingCopy sends whole 1 MiB blocks: the first is on its way.
        Assert.True(await ProcessTable.WaitAsync(() => PartLength(install) > 0), "the part file grows while the data streams");

        var children = ProcessTable.SshChildren();
        Assert.Contains(children, c => c.Name == "ssh");
        Assert.Equal(login.StartsWith("key", StringComparison.Ordinal), children.Any(c => c.Name == "ssh-agent"));
        foreach (var child in children)
        {
            Assert.DoesNotContain(sshd.Password, child.CommandLine, StringComparison.Ordinal);
            Assert.DoesNotContain("PRIVATE KEY", child.CommandLine, StringComparison.Ordinal);
            Assert.DoesNotContain(Passphrase, child.CommandLine, StringComparison.Ordinal);
        }

        await source.Writer.WriteAsync(content.AsMemory(1_500_000));
        await source.Writer.CompleteAsync();
        var facts = await writing;

        Assert.Equal(content.Length, facts.ActualSize);
        Assert.Equal(Md5(content), facts.Md5);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), facts.Sha256);
        Assert.Equal(content, await File.ReadAllBytesAsync(install));
        Assert.False(File.Exists(ImageCommands.TempPath(install)));
        Assert.True(await ProcessTable.WaitAsync(() => ProcessTable.SshChildren().Count == 0), "ssh and its agent end with the write");
        AssertNoFilesLeft();
    }

    [Fact]
    public async Task An_upload_in_two_pieces_goes_through_ssh_children_and_is_verified()
    {
        var (target, install) = await StorageAsync("key");
        var content = RandomNumberGenerator.GetBytes(1_500_000);
        var expect = new ImageExpectations(null, null, Convert.ToHexStringLower(SHA256.HashData(content)));

        var first = await _driver.WriteUploadChunkAsync(target, new MemoryStream(content[..600_000]), install, 0, content.Length, expect, CancellationToken.None);
        Assert.Equal(600_000, first.Size);
        Assert.Null(first.Facts);
        Assert.Equal(600_000, await _driver.GetUploadedSizeAsync(target, install, CancellationToken.None));

        var last = await _driver.WriteUploadChunkAsync(target, new MemoryStream(content[600_000..]), install, 600_000, content.Length, expect, CancellationToken.None);
        Assert.Equal(content.Length, last.Size);
        Assert.Equal(Md5(content), last.Facts!.Md5);
        Assert.Equal(content, await File.ReadAllBytesAsync(install));
        Assert.False(File.Exists(ImageCommands.UploadPath(install)));
        Assert.Empty(ProcessTable.SshChildren());
        AssertNoFilesLeft();
    }

    [Fact]
    public async Task Digests_carried_over_from_an_earlier_piece_are_dropped_when_the_file_changed_in_between()
    {
        var (target, install) = await StorageAsync("password");
        var content = RandomNumberGenerator.GetBytes(1_000_000);
        await _driver.WriteUploadChunkAsync(target, new MemoryStream(content[..400_000]), install, 0, content.Length, new ImageExpectations(), CancellationToken.None);

        // Someone rewrote a byte of the partial file (same size): the digests of what this server sent are not the file's.
        await using (var part = new FileStream(ImageCommands.UploadPath(install), FileMode.Open, FileAccess.Write))
        {
            part.WriteByte((byte)(content[0] ^ 0xff));
        }

        File.SetLastWriteTimeUtc(ImageCommands.UploadPath(install), DateTime.UtcNow.AddMinutes(-5));
        var last = await _driver.WriteUploadChunkAsync(target, new MemoryStream(content[400_000..]), install, 400_000, content.Length, new ImageExpectations(), CancellationToken.None);
        var stored = await File.ReadAllBytesAsync(install);
        Assert.NotEqual(content[0], stored[0]);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(stored)), last.Facts!.Sha256);
        Assert.Equal(Md5(stored), last.Facts.Md5);
    }

    [Fact]
    public async Task A_host_key_other_than_the_pinned_one_is_refused_before_the_script_runs()
    {
        var (target, install) = await StorageAsync("password");
        var endpoint = SftpEndpoint.From(target);
        Proc.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(target.Url, "other"));
        var otherKey = File.ReadAllText(Path.Combine(target.Url, "other.pub")).Split(' ');
        var wrongLine = $"{ImageCommands.PeerAlias} {otherKey[0]} {otherKey[1]}";
        var script = ImageCommands.WriteStdinKeep(install, new ImageExpectations());

        var refused = await Assert.ThrowsAsync<StorageException>(() =>
            OpenSshScriptChannel.StartAsync(_driver.OpenSsh!, endpoint, wrongLine, script, TimeSpan.FromSeconds(10), CancellationToken.None));
        Assert.Equal(StorageFailure.HostKeyMismatch, refused.Failure);
        Assert.False(Directory.Exists(Path.GetDirectoryName(install)), "the script never ran");
        Assert.Empty(ProcessTable.SshChildren());
        AssertNoFilesLeft();
    }

    [Theory]
    [InlineData("key")]
    [InlineData("password")]
    public async Task A_killed_ssh_child_fails_the_write_and_leaves_no_part_file(string login)
    {
        var (target, install) = await StorageAsync(login);
        var source = new Pipe(new PipeOptions(pauseWriterThreshold: 0));
        var writing = _driver.WriteFromStreamAsync(target, source.Reader.AsStream(), install, new ImageExpectations(), null, CancellationToken.None);
        await source.Writer.WriteAsync(RandomNumberGenerator.GetBytes(2_000_000));
        Assert.True(await ProcessTable.WaitAsync(() => PartLength(install) > 0), "the write is under way");

        foreach (var pid in ProcessTable.SshPids())
        {
            using var ssh = Process.GetProcessById(pid);
            ssh.Kill();
        }

        // More data keeps coming: the feed finds ssh gone (or ssh's end is seen first), either way the write fails.
        var more = Task.Run(async () =>
        {
            for (var i = 0; i < 8; i++)
            {
                await source.Writer.WriteAsync(new byte[1 << 20]);
                await Task.Delay(20);
            }

            await source.Writer.CompleteAsync();
        });
        var failed = await Assert.ThrowsAsync<StorageException>(() => writing);
        Assert.Equal(StorageFailure.Unreachable, failed.Failure);
        await more;

        Assert.False(File.Exists(ImageCommands.TempPath(install)), "no part file is left on the host");
        Assert.False(File.Exists(install));
        Assert.True(await ProcessTable.WaitAsync(() => !Directory.Exists(Path.GetDirectoryName(install))), "the image folder goes with it");
        Assert.Empty(ProcessTable.SshChildren());
        AssertNoFilesLeft();
    }

    [Theory]
    [InlineData("no ssh on PATH")]
    [InlineData("turned off")]
    public async Task Without_openssh_the_write_goes_over_ssh_net(string why)
    {
        if (why == "turned off")
        {
            _driver.WriteTransport = WriteTransport.SshNet;
        }
        else
        {
            _driver.FindOpenSshOn(Directory.CreateTempSubdirectory("stowage-no-ssh-").FullName);
        }

        Assert.False(_driver.WritesThroughOpenSsh);
        var (target, install) = await StorageAsync("key");
        var content = RandomNumberGenerator.GetBytes(2_500_000);
        var source = new Pipe();
        var writing = _driver.WriteFromStreamAsync(target, source.Reader.AsStream(), install, new ImageExpectations(), null, CancellationToken.None);
        await source.Writer.WriteAsync(content.AsMemory(0, 1_500_000));
        Assert.True(await ProcessTable.WaitAsync(() => PartLength(install) > 0));
        Assert.Empty(ProcessTable.SshChildren());
        await source.Writer.WriteAsync(content.AsMemory(1_500_000));
        await source.Writer.CompleteAsync();
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(content)), (await writing).Sha256);
        Assert.Equal(content, await File.ReadAllBytesAsync(install));
    }

#pragma warning disable CA5351 // ZStack's images carry md5 sums; the test checks the driver computes the same one.
    private static string Md5(byte[] data) => Convert.ToHexStringLower(MD5.HashData(data));
#pragma warning restore CA5351

    private static long PartLength(string install) => new FileInfo(ImageCommands.TempPath(install)) is { Exists: true } f ? f.Length : 0;

    private async Task<(BackupStorageTarget Target, string Install)> StorageAsync(string login)
    {
        var dir = sshd.NewOwnedDir("write");
        var target = sshd.Target(dir, useKey: login != "password");
        if (login == "key-with-passphrase")
        {
            target = target with { Secret = new StorageSecret(StorageSecretKind.PrivateKey, EncryptedKey(dir), Passphrase) };
        }

        await _driver.ConnectAsync(target, CancellationToken.None);
        return (target, $"{dir}/rootVolumeTemplates/acct-a/{Guid.NewGuid():N}/image.qcow2");
    }

    /// <summary>The test user's key, re-encrypted with <see cref="Passphrase"/> (the same public key, so sshd accepts it).</summary>
    private string EncryptedKey(string dir)
    {
        var file = Path.Combine(dir, "encrypted-key");
        File.WriteAllText(file, sshd.PrivateKey);
        File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Proc.Run("ssh-keygen", "-q", "-p", "-P", "", "-N", Passphrase, "-f", file);
        var text = File.ReadAllText(file);
        File.Delete(file);
        return text;
    }

    private void AssertNoFilesLeft()
    {
        var dir = _driver.OpenSsh!.Directory;
        Assert.Equal(["askpass"], Directory.GetFileSystemEntries(dir).Select(Path.GetFileName));
    }
}
