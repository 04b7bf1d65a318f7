using Stowage.Core.Storage;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Sftp.Tests;

/// <summary>Authentication, host key pinning and shell quoting against a real sshd.</summary>
[Collection(SshdCollection.Name)]
public sealed class SftpSecurityTests(SshdFixture sshd) : IDisposable
{
    private readonly SftpBackupStorageDriver _driver = new();

    public void Dispose() => _driver.Dispose();

    [Fact]
    public async Task WrongPassword_IsAuthenticationFailed_AndNeverShowsThePassword()
    {
        const string wrong = "Wr0ng-PassW0rd-Do-Not-Print-7f3a";
        var ex = await Assert.ThrowsAsync<StorageException>(() => _driver.ConnectAsync(sshd.Target(sshd.NewPath(), password: wrong), CancellationToken.None));
        Assert.Equal(StorageFailure.AuthenticationFailed, ex.Failure);
        Assert.False(ex.Retryable);
        Assert.Contains(sshd.User, ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(wrong, ex.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(sshd.Password, ex.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task EncryptedKeyWithoutPassphrase_IsAuthenticationFailed()
    {
        var dir = Directory.CreateTempSubdirectory("stowage-key-").FullName;
        try
        {
            var keyFile = Path.Combine(dir, "k");
            Proc.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "secret-passphrase", "-f", keyFile);
            var target = sshd.Target(sshd.NewPath()) with { Secret = new StorageSecret(StorageSecretKind.PrivateKey, await File.ReadAllTextAsync(keyFile)) };
            var ex = await Assert.ThrowsAsync<StorageException>(() => _driver.ConnectAsync(target, CancellationToken.None));
            Assert.Equal(StorageFailure.AuthenticationFailed, ex.Failure);
            Assert.DoesNotContain("PRIVATE KEY", ex.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public async Task NothingListening_IsUnreachable()
    {
        var ex = await Assert.ThrowsAsync<StorageException>(() => _driver.ConnectAsync(sshd.Target(sshd.NewPath(), port: SshdFixture.FreePort()), CancellationToken.None));
        Assert.Equal(StorageFailure.Unreachable, ex.Failure);
        Assert.True(ex.Retryable);
        Assert.Contains("connection refused", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task PinnedHostKeyThatDoesNotMatch_IsRefusedBeforeLogin()
    {
        var url = sshd.NewPath();
        const string pinned = "SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
        var ex = await Assert.ThrowsAsync<StorageException>(() => _driver.ConnectAsync(sshd.Target(url, hostKey: pinned), CancellationToken.None));
        Assert.Equal(StorageFailure.HostKeyMismatch, ex.Failure);
        Assert.Contains($"expected {pinned}, got {sshd.HostKeyFingerprint}", ex.Message, StringComparison.Ordinal);
        Assert.Contains("UpdateSftpBackupStorage", ex.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(url));
    }

    [Fact]
    public async Task PinnedHostKeyThatMatches_IsAccepted()
    {
        var url = sshd.NewOwnedDir();
        var result = await _driver.ConnectAsync(sshd.Target(url, hostKey: sshd.HostKeyFingerprint), CancellationToken.None);
        Assert.Equal(sshd.HostKeyFingerprint, result.LearnedSettings["hostKey"]);
    }

    [Fact]
    public async Task UrlWithShellMetacharacters_IsTakenLiterally()
    {
        var pwned = $"/tmp/stowage-pwned-{Guid.NewGuid():N}";
        var name = $"a b'c\"d;e`touch {pwned}-bt`$(touch {pwned})${{HOME}}|f&g>h\\i*";
        var url = Path.Combine(sshd.NewOwnedDir("meta"), name);
        var target = sshd.Target(url);

        await _driver.ConnectAsync(target, CancellationToken.None);
        await _driver.WriteMarkerAsync(target, CancellationToken.None);
        await _driver.PingAsync(target, CancellationToken.None);
        await _driver.GetCapacityAsync(target, CancellationToken.None);
        await _driver.RemoveMarkerAsync(target, CancellationToken.None);

        Assert.True(Directory.Exists(url), "the directory is created with exactly the given name");
        Assert.False(File.Exists(Path.Combine(url, ".stowage-backup-storage")));
        Assert.False(File.Exists(pwned));
        Assert.False(File.Exists(pwned + "-bt"));
    }

    [Fact]
    public async Task UuidWithShellMetacharacters_IsWrittenLiterally()
    {
        var url = sshd.NewOwnedDir();
        var pwned = $"/tmp/stowage-pwned-{Guid.NewGuid():N}";
        var target = sshd.Target(url, uuid: $"x';touch {pwned};'");
        await _driver.WriteMarkerAsync(target, CancellationToken.None);
        Assert.Equal(target.Uuid, (await File.ReadAllTextAsync(Path.Combine(url, ".stowage-backup-storage"))).TrimEnd('\n'));
        Assert.False(File.Exists(pwned));
    }
}
