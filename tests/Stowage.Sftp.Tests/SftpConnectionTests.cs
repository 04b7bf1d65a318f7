using Stowage.Core.Storage;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Sftp.Tests;

/// <summary>Algorithm choice, pooling and cancellation against a real sshd.</summary>
[Collection(SshdCollection.Name)]
public sealed class SftpConnectionTests(SshdFixture sshd) : IDisposable
{
    private readonly SftpBackupStorageDriver _driver = new();

    public void Dispose() => _driver.Dispose();

    [Fact]
    public async Task NegotiatesAes128GcmAndCurve25519()
    {
        var target = sshd.Target(sshd.NewOwnedDir());
        await _driver.ConnectAsync(target, CancellationToken.None);
        Assert.Equal("aes128-gcm@openssh.com", _driver.NegotiatedCipher(target.Uuid));
        Assert.Equal("curve25519-sha256", _driver.NegotiatedKeyExchange(target.Uuid));
    }

    [Fact]
    public async Task ConcurrentPings_ShareOnePooledConnection()
    {
        var target = sshd.Target(sshd.NewOwnedDir());
        await _driver.ConnectAsync(target, CancellationToken.None);
        await _driver.WriteMarkerAsync(target, CancellationToken.None);
        var pooled = _driver.PooledConnection(target.Uuid);
        Assert.NotNull(pooled);

        var results = await Task.WhenAll(Enumerable.Range(0, 40).Select(_ => _driver.PingAsync(target, CancellationToken.None)));
        Assert.All(results, c => Assert.True(c.Total > 0));
        Assert.Same(pooled, _driver.PooledConnection(target.Uuid));
    }

    [Fact]
    public async Task ConcurrentFirstCalls_OpenOneConnection()
    {
        var target = sshd.Target(sshd.NewOwnedDir());
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => _driver.GetCapacityAsync(target, CancellationToken.None)));
        var pooled = _driver.PooledConnection(target.Uuid);
        await _driver.GetCapacityAsync(target, CancellationToken.None);
        Assert.Same(pooled, _driver.PooledConnection(target.Uuid));
    }

    [Fact]
    public async Task ChangedSecret_DoesNotReuseTheConnection()
    {
        var url = sshd.NewOwnedDir();
        await _driver.ConnectAsync(sshd.Target(url, uuid: "bs1"), CancellationToken.None);
        var ex = await Assert.ThrowsAsync<StorageException>(() => _driver.ConnectAsync(sshd.Target(url, uuid: "bs1", password: "changed-and-wrong"), CancellationToken.None));
        Assert.Equal(StorageFailure.AuthenticationFailed, ex.Failure);
        Assert.Null(_driver.PooledConnection("bs1"));
    }

    [Fact]
    public async Task Forget_ClosesThePooledConnection()
    {
        var target = sshd.Target(sshd.NewOwnedDir());
        await _driver.ConnectAsync(target, CancellationToken.None);
        var first = _driver.PooledConnection(target.Uuid);
        _driver.Forget(target.Uuid);
        Assert.Null(_driver.PooledConnection(target.Uuid));
        await _driver.ConnectAsync(target, CancellationToken.None);
        Assert.NotSame(first, _driver.PooledConnection(target.Uuid));
    }

    [Fact]
    public async Task CancelledToken_Cancels()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _driver.ConnectAsync(sshd.Target(sshd.NewOwnedDir()), cts.Token));
    }
}

/// <summary>A host key change needs its own sshd, restarted with a new key.</summary>
public sealed class SftpHostKeyChangeTests
{
    [Fact]
    public async Task ChangedHostKey_IsHostKeyMismatchNamingBothFingerprints()
    {
        var sshd = new SshdFixture();
        await sshd.InitializeAsync();
        using var driver = new SftpBackupStorageDriver();
        try
        {
            var url = sshd.NewOwnedDir();
            var first = sshd.Target(url);
            var learned = (await driver.ConnectAsync(first, CancellationToken.None)).LearnedSettings["hostKey"];
            var pinned = sshd.Target(url, uuid: first.Uuid, hostKey: learned);
            await driver.WriteMarkerAsync(pinned, CancellationToken.None);
            await driver.PingAsync(pinned, CancellationToken.None);

            var oldKey = sshd.HostKeyFingerprint;
            await sshd.RestartWithNewHostKeyAsync();
            Assert.NotEqual(oldKey, sshd.HostKeyFingerprint);

            // The pooled connection died with the old sshd; the reconnect meets the new key.
            var ex = await Assert.ThrowsAsync<StorageException>(() => driver.PingAsync(pinned, CancellationToken.None));
            Assert.Equal(StorageFailure.HostKeyMismatch, ex.Failure);
            Assert.Equal(
                $"host key of 127.0.0.1:{sshd.Port} changed: expected {oldKey}, got {sshd.HostKeyFingerprint}; accept the new key with UpdateSftpBackupStorage if this is expected",
                ex.Message);

            // Accepting the new key (what UpdateSftpBackupStorage does) makes it usable again.
            await driver.PingAsync(sshd.Target(url, uuid: first.Uuid, hostKey: sshd.HostKeyFingerprint), CancellationToken.None);
        }
        finally
        {
            await sshd.DisposeAsync();
        }
    }
}
