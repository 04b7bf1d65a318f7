using System.Security.Cryptography;
using Stowage.Core.Storage;
using Stowage.FileSystem;
using Stowage.Nfs.Tests.Infrastructure;

namespace Stowage.Nfs.Tests;

/// <summary>
/// The server killed (SIGKILL) or frozen (SIGSTOP) in the middle of a write and of a read, for real: each
/// ends in a retryable StorageException bounded by the timeout (the 90 s guard only catches a hang, it
/// measures nothing), and once the server is back the same NfsFileAccess works again.
/// </summary>
[Collection("nfs")]
public sealed class NfsFaultTests(NfsFixture fixture)
{
    private static readonly TimeSpan HangGuard = TimeSpan.FromSeconds(90);
    private readonly GaneshaServer _server = fixture.Server;

    public enum Fault
    {
        Killed,
        Frozen,
    }

    [Theory]
    [InlineData(Fault.Killed)]
    [InlineData(Fault.Frozen)]
    public async Task A_fault_mid_write_ends_in_a_retryable_error_and_access_resumes(Fault fault)
    {
        var (access, root) = NewAccess();
        await using var _ = access;
        await access.CreateDirectoryAsync(root, default);
        var chunk = TestData.Bytes(1 << 20, seed: 2);
        try
        {
            var w = await access.OpenWriteAsync(root + "/image.part", FileWriteMode.Truncate, default);
            for (var i = 0; i < 8; i++)
            {
                await w.WriteAsync(chunk);
            }
            await w.FlushAsync();

            Inject(fault);
            var e = await Assert.ThrowsAsync<StorageException>(async () =>
            {
                for (var i = 0; i < 256; i++)
                {
                    await w.WriteAsync(chunk);
                }
                await w.FlushAsync();
            }).WaitAsync(HangGuard);
            Assert.True(e.Retryable, e.ToString());
            Assert.Contains("NFS", e.Message, StringComparison.Ordinal);
            await w.DisposeAsync().AsTask().WaitAsync(HangGuard);

            // Still down: a new call fails within the bound too.
            var down = await Assert.ThrowsAsync<StorageException>(() => access.StatAsync(root + "/image.part", default)).WaitAsync(HangGuard);
            Assert.True(down.Retryable, down.ToString());
        }
        finally
        {
            await _server.RestartAsync();
        }

        // Back: the same access (its pool dropped the dead contexts) writes and reads again.
        await UntilBackAsync(() => NfsFileAccessTests.WriteAsync(access, root + "/after", chunk, FileWriteMode.Truncate).WaitAsync(HangGuard));
        Assert.Equal(chunk, await NfsFileAccessTests.ReadAllAsync(access, root + "/after"));
        var part = await access.StatAsync(root + "/image.part", default);
        Assert.NotNull(part);
        Assert.True(part.Size >= 8 << 20, $"the 8 MiB committed before the fault are kept ({part.Size})");
    }

    [Theory]
    [InlineData(Fault.Killed)]
    [InlineData(Fault.Frozen)]
    public async Task A_fault_mid_read_ends_in_a_retryable_error_and_access_resumes(Fault fault)
    {
        var (access, root) = NewAccess();
        await using var _ = access;
        await access.CreateDirectoryAsync(root, default);
        var data = TestData.Bytes(64 << 20, seed: 3);
        await NfsFileAccessTests.WriteAsync(access, root + "/image", data, FileWriteMode.Truncate);
        var buffer = new byte[1 << 20];
        try
        {
            var r = await access.OpenReadAsync(root + "/image", 0, default);
            await r.ReadExactlyAsync(buffer);

            Inject(fault);
            var e = await Assert.ThrowsAsync<StorageException>(async () =>
            {
                while (await r.ReadAsync(buffer) > 0)
                {
                }
            }).WaitAsync(HangGuard);
            Assert.True(e.Retryable, e.ToString());
            await r.DisposeAsync().AsTask().WaitAsync(HangGuard);
        }
        finally
        {
            await _server.RestartAsync();
        }

        await UntilBackAsync(async () => await (await access.OpenReadAsync(root + "/image", 0, default).WaitAsync(HangGuard)).DisposeAsync());
        await using var again = await access.OpenReadAsync(root + "/image", 0, default).WaitAsync(HangGuard);
        Assert.Equal(SHA256.HashData(data), await SHA256.HashDataAsync(again).AsTask().WaitAsync(HangGuard));
    }

    /// <summary>
    /// A thawed or restarted Ganesha may refuse the first mount while it works off what queued during the fault
    /// (seen on a loaded CI machine: "mount_cb: Poll failed"); callers retry retryable errors, so does the test,
    /// for a bounded time. A non-retryable error fails at once.
    /// </summary>
    private static async Task UntilBackAsync(Func<Task> action)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                await action();
                return;
            }
            catch (StorageException e) when (e.Retryable && DateTime.UtcNow < deadline)
            {
                await Task.Delay(500);
            }
        }
    }

    [Fact]
    public async Task A_server_that_is_down_when_connecting_is_unreachable()
    {
        var (access, root) = NewAccess();
        await using var _ = access;
        try
        {
            _server.Kill();
            var e = await Assert.ThrowsAsync<StorageException>(() => access.StatFsAsync(root, default)).WaitAsync(HangGuard);
            Assert.Equal(StorageFailure.Unreachable, e.Failure);
        }
        finally
        {
            await _server.RestartAsync();
        }
        await access.CreateDirectoryAsync(root, default).WaitAsync(HangGuard);
        Assert.NotNull(await access.StatAsync(root, default));
    }

    [Fact]
    public async Task Cancelling_a_call_to_a_frozen_server_releases_the_caller_and_the_context_comes_back()
    {
        var (access, root) = NewAccess();
        await using var _ = access;
        await access.CreateDirectoryAsync(root, default);
        try
        {
            _server.Freeze();
            using var cancel = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
            // The call cannot return before the 5 s bound (the server answers nothing); the cancel comes first.
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => access.StatAsync(root, cancel.Token)).WaitAsync(HangGuard);
        }
        finally
        {
            _server.Thaw();
        }

        Assert.NotNull(await access.StatAsync(root, default).WaitAsync(HangGuard));
    }

    private void Inject(Fault fault)
    {
        if (fault == Fault.Killed)
        {
            _server.Kill();
        }
        else
        {
            _server.Freeze();
        }
    }

    private (NfsFileAccess Access, string Root) NewAccess()
    {
        var location = _server.Location("f-" + Guid.NewGuid().ToString("N")[..12]);
        return (new NfsFileAccess(location, new NfsOptions { Timeout = TestData.FaultCallTimeout }), location.Path);
    }
}
