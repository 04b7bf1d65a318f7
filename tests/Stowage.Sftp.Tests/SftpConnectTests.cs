using Stowage.Core.Storage;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Sftp.Tests;

/// <summary>Connect, capacity and marker handling against a real sshd.</summary>
[Collection(SshdCollection.Name)]
public sealed class SftpConnectTests(SshdFixture sshd) : IDisposable
{
    private readonly SftpBackupStorageDriver _driver = new();

    public void Dispose() => _driver.Dispose();

    [Fact]
    public async Task Connect_WithPassword_CreatesMissingDirectoryAndLearnsHostKey()
    {
        var url = Path.Combine(sshd.NewPath(), "nested", "deeper");
        var result = await _driver.ConnectAsync(sshd.Target(url), CancellationToken.None);

        Assert.True(Directory.Exists(url));
        Assert.Null(result.ExistingMarker);
        Assert.Equal(sshd.HostKeyFingerprint, result.LearnedSettings["hostKey"]);
        Assert.True(result.Capacity.Total > 0 && result.Capacity.Available > 0 && result.Capacity.Available <= result.Capacity.Total);
    }

    [Fact]
    public async Task Connect_WithPrivateKey()
    {
        var url = sshd.NewOwnedDir();
        var result = await _driver.ConnectAsync(sshd.Target(url, useKey: true), CancellationToken.None);
        Assert.Equal(sshd.HostKeyFingerprint, result.LearnedSettings["hostKey"]);
    }

    [Fact]
    public async Task Connect_UrlIsARegularFile_IsRefused()
    {
        var url = sshd.NewPath("file");
        await File.WriteAllTextAsync(url, "not a directory");
        var ex = await Assert.ThrowsAsync<StorageException>(() => _driver.ConnectAsync(sshd.Target(url), CancellationToken.None));
        Assert.Equal(StorageFailure.BadLocation, ex.Failure);
        Assert.Contains("is not a directory", ex.Message, StringComparison.Ordinal);
        Assert.Contains(url, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_DirectoryNotWritable_IsRefused()
    {
        var url = sshd.NewPath("root-owned");
        Directory.CreateDirectory(url);
        Proc.Run("chmod", "755", url);
        var ex = await Assert.ThrowsAsync<StorageException>(() => _driver.ConnectAsync(sshd.Target(url), CancellationToken.None));
        Assert.Equal(StorageFailure.BadLocation, ex.Failure);
        Assert.Contains("not writable", ex.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFileSystemEntries(url));
    }

    [Fact]
    public async Task Connect_CannotCreateDirectoryUnderRootOwnedParent()
    {
        var parent = sshd.NewPath("root-parent");
        Directory.CreateDirectory(parent);
        var ex = await Assert.ThrowsAsync<StorageException>(() => _driver.ConnectAsync(sshd.Target(Path.Combine(parent, "child")), CancellationToken.None));
        Assert.Equal(StorageFailure.BadLocation, ex.Failure);
        Assert.Contains("cannot create directory", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Capacity_EqualsDf()
    {
        var url = sshd.NewOwnedDir();
        var target = sshd.Target(url);
        var before = Df(url);
        var connected = await _driver.ConnectAsync(target, CancellationToken.None);
        var measured = await _driver.GetCapacityAsync(target, CancellationToken.None);
        var after = Df(url);

        foreach (var capacity in new[] { connected.Capacity, measured })
        {
            Assert.Equal(before.Total, capacity.Total);
            Assert.Equal(after.Total, capacity.Total);

            // Other processes (the build, other tests) write to the same filesystem meanwhile.
            var slack = 64L << 20;
            Assert.InRange(capacity.Available, Math.Min(before.Available, after.Available) - slack, Math.Max(before.Available, after.Available) + slack);
        }
    }

    [Fact]
    public async Task Marker_WriteReadRemove()
    {
        var url = sshd.NewOwnedDir();
        var target = sshd.Target(url);
        var marker = Path.Combine(url, ".stowage-backup-storage");

        await _driver.WriteMarkerAsync(target, CancellationToken.None);
        Assert.Equal(target.Uuid, (await File.ReadAllTextAsync(marker)).Trim());
        Assert.Empty(Directory.GetFiles(url, "*.tmp.*"));
        Assert.Equal(target.Uuid, (await _driver.ConnectAsync(target, CancellationToken.None)).ExistingMarker);

        // Another backup storage pointing at the same directory must not remove our marker.
        await _driver.RemoveMarkerAsync(sshd.Target(url), CancellationToken.None);
        Assert.True(File.Exists(marker));

        await _driver.RemoveMarkerAsync(target, CancellationToken.None);
        Assert.False(File.Exists(marker));
        Assert.Null((await _driver.ConnectAsync(target, CancellationToken.None)).ExistingMarker);

        // Removing from a directory that is already gone is fine (best effort on delete).
        Directory.Delete(url, recursive: true);
        await _driver.RemoveMarkerAsync(target, CancellationToken.None);
    }

    [Fact]
    public async Task Ping_ChecksMarkerAndDirectory()
    {
        var url = sshd.NewOwnedDir();
        var target = sshd.Target(url);
        await _driver.ConnectAsync(target, CancellationToken.None);
        await _driver.WriteMarkerAsync(target, CancellationToken.None);

        var capacity = await _driver.PingAsync(target, CancellationToken.None);
        Assert.Equal(Df(url).Total, capacity.Total);

        var other = Guid.NewGuid().ToString("N");
        await File.WriteAllTextAsync(Path.Combine(url, ".stowage-backup-storage"), other + "\n");
        var replaced = await Assert.ThrowsAsync<StorageException>(() => _driver.PingAsync(target, CancellationToken.None));
        Assert.Equal(StorageFailure.IdentityMismatch, replaced.Failure);
        Assert.Contains(other, replaced.Message, StringComparison.Ordinal);
        Assert.Contains(target.Uuid, replaced.Message, StringComparison.Ordinal);

        File.Delete(Path.Combine(url, ".stowage-backup-storage"));
        var missing = await Assert.ThrowsAsync<StorageException>(() => _driver.PingAsync(target, CancellationToken.None));
        Assert.Equal(StorageFailure.IdentityMismatch, missing.Failure);
        Assert.Contains("no identity marker", missing.Message, StringComparison.Ordinal);

        Directory.Delete(url, recursive: true);
        var gone = await Assert.ThrowsAsync<StorageException>(() => _driver.PingAsync(target, CancellationToken.None));
        Assert.Equal(StorageFailure.BadLocation, gone.Failure);
        Assert.Contains("does not exist", gone.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(url));
    }

    [Fact]
    public async Task Ping_ReadOnlyDirectory_IsNotWritable_AndAPingLeavesNothingBehind()
    {
        var url = sshd.NewOwnedDir();
        var target = sshd.Target(url);
        await _driver.ConnectAsync(target, CancellationToken.None);
        await _driver.WriteMarkerAsync(target, CancellationToken.None);
        await _driver.PingAsync(target, CancellationToken.None);
        Assert.Equal([".stowage-backup-storage"], Directory.GetFileSystemEntries(url).Select(Path.GetFileName));

        // The marker stays readable and owned by the login: only creating a new entry can notice this.
        Proc.Run("chmod", "500", url);
        try
        {
            var ex = await Assert.ThrowsAsync<StorageException>(() => _driver.PingAsync(target, CancellationToken.None));
            Assert.Equal(StorageFailure.BadLocation, ex.Failure);
            Assert.Contains("not writable", ex.Message, StringComparison.Ordinal);
            Assert.Contains(url, ex.Message, StringComparison.Ordinal);
        }
        finally
        {
            Proc.Run("chmod", "700", url);
        }

        await _driver.PingAsync(target, CancellationToken.None);
    }

    [Fact]
    public async Task Ping_UsesTheSftpSessionOnly()
    {
        var target = sshd.Target(sshd.NewOwnedDir());
        await _driver.ConnectAsync(target, CancellationToken.None);
        await _driver.WriteMarkerAsync(target, CancellationToken.None);
        await _driver.PingAsync(target, CancellationToken.None);
        await _driver.GetCapacityAsync(target, CancellationToken.None);
        Assert.False(_driver.HasExecSession(target.Uuid));
    }

    [Fact]
    public async Task An_idle_exec_session_closes_at_the_next_ping_but_not_while_a_transfer_holds_it()
    {
        var url = sshd.NewOwnedDir();
        var target = sshd.Target(url);
        await _driver.ConnectAsync(target, CancellationToken.None);
        await _driver.WriteMarkerAsync(target, CancellationToken.None);
        await _driver.ListImageFilesAsync(target, CancellationToken.None);
        Assert.True(_driver.HasExecSession(target.Uuid));
        await _driver.PingAsync(target, CancellationToken.None);
        Assert.True(_driver.HasExecSession(target.Uuid), "used a moment ago: kept for the next command");

        _driver.ExecIdleTimeout = TimeSpan.Zero;
        var source = new System.IO.Pipelines.Pipe();
        var install = $"{url}/rootVolumeTemplates/acct-a/i1/i1.template";
        var writing = _driver.WriteFromStreamAsync(target, source.Reader.AsStream(), install, new ImageExpectations(), null, CancellationToken.None);
        await source.Writer.WriteAsync(new byte[1000]);
        await WaitUntilAsync(() => File.Exists(install + ".stowage-part"));
        await _driver.PingAsync(target, CancellationToken.None);
        Assert.True(_driver.HasExecSession(target.Uuid), "a running transfer holds the session");

        await source.Writer.CompleteAsync();
        Assert.Equal(1000, (await writing).ActualSize);
        await _driver.PingAsync(target, CancellationToken.None);
        Assert.False(_driver.HasExecSession(target.Uuid));
        await _driver.DeleteImageAsync(target, install, CancellationToken.None);
        Assert.False(Directory.Exists(Path.GetDirectoryName(install)), "the session reopens on demand");
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(50);
        }

        Assert.True(condition());
    }

    [Fact]
    public async Task RelativeUrl_IsRefused()
    {
        var ex = await Assert.ThrowsAsync<StorageException>(() => _driver.ConnectAsync(sshd.Target("relative/path"), CancellationToken.None));
        Assert.Equal(StorageFailure.BadLocation, ex.Failure);
    }

    private static StorageCapacity Df(string dir)
    {
        var last = Proc.Run("df", "-B1", "--output=size,avail", dir).Trim().Split('\n')[^1];
        var parts = last.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return new StorageCapacity(long.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture), long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture));
    }
}
