using Stowage.Core.Storage;
using Stowage.FileSystem;
using Stowage.Nfs.Tests.Infrastructure;

namespace Stowage.Nfs.Tests;

/// <summary>An export that fills up for real: its own Ganesha over a 16 MiB tmpfs.</summary>
public sealed class NfsFullTests
{
    [Fact]
    public async Task A_full_export_is_no_space_and_statfs_says_so()
    {
        await using var server = await GaneshaServer.StartAsync(exportSize: 16L << 20);
        var location = server.Location();
        await using var access = new NfsFileAccess(location, new NfsOptions { Timeout = TestData.CallTimeout });

        var capacity = await access.StatFsAsync(location.Path, default);
        Assert.Equal(16L << 20, capacity.Total);

        var chunk = TestData.Bytes(1 << 20, seed: 4);
        var e = await Assert.ThrowsAsync<StorageException>(async () =>
        {
            await using var w = await access.OpenWriteAsync(location.Path + "/too-big", FileWriteMode.Truncate, default);
            for (var i = 0; i < 32; i++)
            {
                await w.WriteAsync(chunk);
            }
            await w.FlushAsync();
        }).WaitAsync(TimeSpan.FromSeconds(90));
        Assert.True(e.Failure == StorageFailure.NoSpace, e.Message);
        Assert.Contains("no space", e.Message, StringComparison.Ordinal);

        // Removing the partial file gives the space back.
        await access.DeleteFileAsync(location.Path + "/too-big", default);
        Assert.Equal(16L << 20, (await access.StatFsAsync(location.Path, default)).Available);
    }
}
