using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Images;

/// <summary>A backup storage on a real 8 MiB filesystem and an image that does not fit.</summary>
[Collection(StorageCollection.Name)]
public sealed class ImageDiskFullTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [RootFact]
    public Task Host_pull_of_an_unannounced_size_fills_the_disk_and_fails_with_no_space() => RunAsync("HostPull", "nolen", "no space left");

    [RootFact]
    public Task Streamed_write_of_an_unannounced_size_fills_the_disk_and_fails_with_no_space() => RunAsync("Stream", "nolen", "no space left");

    [RootFact]
    public Task An_announced_size_that_does_not_fit_is_refused_before_writing() => RunAsync("Auto", "f", "has not enough capacity");

    private async Task RunAsync(string mode, string route, string expected)
    {
        using var disk = new SmallDisk(sshd, 8);
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        await ImageKit.SetConfigAsync(client, "image", "download.mode", mode);
        await ImageKit.SetConfigAsync(client, "backupStorage", "reservedCapacity", "0");
        var bs = await BsKit.AddOkAsync(client, sshd, disk.Url);
        source.Add("big.raw", ImageKit.RandomBytes(12 << 20));

        var r = await ImageKit.AddAsync(client, source.Url(route, "big.raw"), [bs]);

        Assert.Equal("SYS.1002", r.ErrorCode);
        Assert.Contains(expected, r.Body, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(await ImageKit.QueryAsync(client));
        Assert.Empty(ImageKit.Files(disk.Url));
        Assert.Empty(Directory.EnumerateFiles(disk.Url, "*.stowage-part", SearchOption.AllDirectories));
        ImageKit.NoTransferProcess(sshd);
        await using var db = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        Assert.Equal(0, await db.ImageBackupStorageRefs.SumAsync(x => x.ReservedSize));
        var row = await db.BackupStorages.SingleAsync(b => b.Uuid == bs);

        // The filesystem is the test's own: the formula (free bytes minus reservations) holds exactly.
        Assert.Equal(ImageKit.DfAvailable(disk.Url), row.AvailableCapacity);
        Assert.Equal(8L << 20, row.TotalCapacity);
    }
}
