using System.Globalization;
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
            var children = SshChildren();
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

        Assert.Empty(SshChildren());
        AssertNoFilesLeft();
    }

    [Fact]
    public async Task Disposing_mid_file_kills_ssh_and_the_hosts_cat()
    {
        var (target, path, _) = await StoreAsync(useKey: true, "big.raw", 64 * 1024 * 1024);
        var stream = await _driver.OpenReadAsync(target, path, 0, CancellationToken.None);
        var buffer = new byte[1024 * 1024];
        Assert.True(await stream.ReadAsync(buffer) > 0);
        Assert.NotEmpty(SshChildren());
        Assert.True(await WaitAsync(() => HostReaders(path).Count > 0), "cat runs on the host while the file is read");

        await stream.DisposeAsync();
        Assert.Empty(SshChildren());
        Assert.True(await WaitAsync(() => HostReaders(path).Count == 0), "cat on the host ends with the download: " + string.Join(", ", HostReaders(path)));
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
        Assert.Empty(SshChildren());
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
        Assert.Empty(SshChildren());
        AssertNoFilesLeft();
    }

    [Fact]
    public async Task Turning_openssh_off_reads_over_sftp_without_a_child_process()
    {
        _driver.ExportTransport = ExportTransport.Sftp;
        var (target, path, content) = await StoreAsync(useKey: false, "sftp.raw", 500_000);
        await using var s = await _driver.OpenReadAsync(target, path, 100, CancellationToken.None);
        Assert.Empty(SshChildren());
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

    private static async Task<bool> WaitAsync(Func<bool> condition)
    {
        for (var i = 0; i < 100 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        return condition();
    }

    /// <summary>Live (not zombie) ssh and ssh-agent processes descended from this test process.</summary>
    private static List<(string Name, string CommandLine)> SshChildren()
    {
        var self = Environment.ProcessId;
        var found = new List<(string, string)>();
        foreach (var (pid, stat) in Processes())
        {
            var name = stat[(stat.IndexOf('(', StringComparison.Ordinal) + 1)..stat.LastIndexOf(')')];
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            if (name is "ssh" or "ssh-agent" && fields[0] != "Z" && DescendsFrom(pid, self))
            {
                found.Add((name, CommandLine(pid)));
            }
        }

        return found;
    }

    /// <summary>Processes on the host side (under sshd) whose command line names <paramref name="path"/>.</summary>
    private static List<int> HostReaders(string path) =>
        [.. Processes().Where(p => !p.Stat.Contains(") Z ", StringComparison.Ordinal) && CommandLine(p.Pid).Contains(path, StringComparison.Ordinal)
            && (p.Stat.Contains("(cat)", StringComparison.Ordinal) || p.Stat.Contains("(tail)", StringComparison.Ordinal))).Select(p => p.Pid)];

    private static bool DescendsFrom(int pid, int ancestor)
    {
        for (var i = 0; i < 32 && pid > 1; i++)
        {
            var stat = Stat(pid);
            if (stat is null)
            {
                return false;
            }

            pid = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
            if (pid == ancestor)
            {
                return true;
            }
        }

        return false;
    }

    private static IEnumerable<(int Pid, string Stat)> Processes()
    {
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(dir), out var pid) && Stat(pid) is { } stat)
            {
                yield return (pid, stat);
            }
        }
    }

    private static string? Stat(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ');
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return string.Empty;
        }
    }
}
