using System.Net;
using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.Protocol;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.Images;

/// <summary>
/// CopyImageToBackupStorage with an object store on one side or both (<see cref="StorageWorld.ObjectStorePairs"/>):
/// no host can pull into or out of a store, so Auto streams through Stowage; the bytes are seen through each type's
/// own view (the store's objects through Swift's API), not through files on this machine.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class ObjectStoreCopyTests(StorageWorld world)
{
    [Theory]
    [MemberData(nameof(StorageWorld.ObjectStorePairs), MemberType = typeof(StorageWorld))]
    public async Task A_copy_into_out_of_or_between_object_stores_lands_verified_and_Ready(string from, string to)
    {
        await using var w = await CopyWorld.StartAsync(world[from], world[to], 2_000_000);
        var r = await w.CopyAsync();
        Wire.AssertOk(r);
        var copy = r.Json!["inventory"]!["backupStorageRefs"]!.AsArray().Single(x => x!["backupStorageUuid"]!.GetValue<string>() == w.Dst)!;
        Assert.Equal("Ready", copy["status"]!.GetValue<string>());
        var installPath = copy["installPath"]!.GetValue<string>();
        Assert.StartsWith(w.DstLocation!.Url + "/", installPath, StringComparison.Ordinal);
        var source = ImageKit.Sha256(await world[from].ReadAsync(w.SrcLocation!, w.SrcInstallPath));
        Assert.Equal(source, ImageKit.Sha256(await world[to].ReadAsync(w.DstLocation, installPath)));
        Assert.Equal(r.Json!["inventory"]!["sha256Sum"]!.GetValue<string>(), source);
        Assert.Equal([installPath], await world[to].FilesAsync(w.DstLocation));
        world[to].AssertNoTransferLeft(w.DstLocation);
        await using var db = w.Host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        Assert.Equal(0, await db.ImageBackupStorageRefs.SumAsync(x => x.ReservedSize));
    }

    /// <summary>A source whose bytes no longer match its digests is not copied into (or out of) a store, and nothing is left at the destination.</summary>
    [Theory]
    [InlineData("SwiftBackupStorage", "FileSystemBackupStorage")]
    [InlineData("FileSystemBackupStorage", "S3BackupStorage")]
    public async Task A_corrupted_source_is_not_copied_and_leaves_nothing_in_the_store(string from, string to)
    {
        await using var w = await CopyWorld.StartAsync(world[from], world[to], 1_000_000);
        await world[from].CorruptAsync(w.SrcLocation!, w.SrcInstallPath);
        var r = await w.CopyAsync();
        Wire.AssertError(r, HttpStatusCode.ServiceUnavailable, "SYS.1006");
        Assert.Contains("checksum mismatch", r.Body, StringComparison.Ordinal);
        Assert.Empty(await world[to].FilesAsync(w.DstLocation!));
        await using var db = w.Host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        Assert.Equal(0, await db.ImageBackupStorageRefs.SumAsync(x => x.ReservedSize));
        Assert.DoesNotContain(await db.ImageBackupStorageRefs.Where(x => x.ImageUuid == w.Image).Select(x => x.BackupStorageUuid).ToListAsync(), u => u == w.Dst);
    }
}
