using System.Net;
using Stowage.Persistence;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Protocol;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.VolumeArchives;

/// <summary>CopyVolumeSnapshotToBackupStorage and CopyVolumeBackupToBackupStorage between backup storages on two sshd instances (a corrupted source: <see cref="ImageCopyTests"/>).</summary>
[Collection(StorageCollection.Name)]
public sealed class VolumeArchiveCopyTests(StorageWorld world, SecondSshd second) : IClassFixture<SecondSshd>
{
    private readonly SshdFixture sshd = world.Sshd;

    private SshdFixture Dst => second.Sshd;

    public static TheoryData<string, string, string> TypePairsAndKinds
    {
        get
        {
            var data = new TheoryData<string, string, string>();
            foreach (var pair in StorageWorld.TypePairs)
            {
                data.Add((string)pair[0], (string)pair[1], "/volume-snapshots");
                data.Add((string)pair[0], (string)pair[1], "/volume-backups");
            }

            return data;
        }
    }

    /// <summary>The copy contract of both kinds over every ordered pair of types under test.</summary>
    [Theory]
    [MemberData(nameof(TypePairsAndKinds))]
    public async Task A_copy_between_any_two_types_lands_verified_and_Ready(string from, string to, string itemPath)
    {
        await using var w = await CopyWorld.StartAsync(world[from], world[to], 300_000, itemPath);
        var r = await w.CopyAsync(src: w.Src);
        Wire.AssertOk(r);
        var inventory = r.Json!["inventory"]!;
        var copy = inventory["backupStorageRefs"]!.AsArray().Single(x => x!["backupStorageUuid"]!.GetValue<string>() == w.Dst)!;
        Assert.Equal("Ready", copy["status"]!.GetValue<string>());
        var path = w.DstLocation!.Local(copy["installPath"]!.GetValue<string>());
        var sha = ImageKit.Sha256(File.ReadAllBytes(path));
        Assert.Equal(ImageKit.Sha256(File.ReadAllBytes(w.SrcPath)), sha);
        Assert.Equal(inventory["sha256Sum"]!.GetValue<string>(), sha);
        Assert.Equal([path], ImageKit.Files(w.DstUrl));
        world[to].AssertNoTransferLeft(w.DstLocation);
        await using var db = w.Host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        Assert.Equal(0, db.VolumeArchiveRefs.Sum(x => x.ReservedSize));
    }

    [Theory]
    [InlineData("HostToHost", "/volume-snapshots", "volumeSnapshots")]
    [InlineData("Stream", "/volume-snapshots", "volumeSnapshots")]
    [InlineData("Auto", "/volume-backups", "volumes")]
    public async Task A_copy_lands_verified_and_Ready_under_the_kinds_folder(string mode, string itemPath, string folder)
    {
        await using var w = await CopyWorld.StartAsync(sshd, Dst, 300_000, itemPath: itemPath);
        await ImageKit.SetConfigAsync(w.Client, "image", "copy.mode", mode);
        var r = await w.CopyAsync(src: w.Src);
        Wire.AssertOk(r);

        var inventory = r.Json!["inventory"]!;
        Assert.Equal(w.Image, VolumeKit.Uuid(inventory));
        Assert.Equal([.. new[] { w.Src, w.Dst }.Order()], VolumeKit.RefBs(inventory));
        var copy = inventory["backupStorageRefs"]!.AsArray().Single(x => x!["backupStorageUuid"]!.GetValue<string>() == w.Dst)!;
        Assert.Equal("Ready", copy["status"]!.GetValue<string>());
        var path = copy["installPath"]!.GetValue<string>();
        Assert.StartsWith($"{w.DstUrl}/{folder}/", path, StringComparison.Ordinal);
        Assert.Equal(Path.GetFileName(w.SrcPath), Path.GetFileName(path));
        var sha = ImageKit.Sha256(File.ReadAllBytes(path));
        Assert.Equal(ImageKit.Sha256(File.ReadAllBytes(w.SrcPath)), sha);
        Assert.Equal(inventory["sha256Sum"]!.GetValue<string>(), sha);
        Assert.Equal([path], ImageKit.Files(w.DstUrl));
        Assert.Equal([w.Image], await VolumeKit.QueryUuidsAsync(w.Client, itemPath, "backupStorage.uuid=" + w.Dst));
        await using (var db = w.Host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext())
        {
            Assert.Equal(0, db.VolumeArchiveRefs.Sum(x => x.ReservedSize));
        }

        // The destination now holds it: a second copy there is refused, as is one to the source.
        foreach (var dst in new[] { w.Dst, w.Src })
        {
            var again = await w.CopyAsync(dst: dst);
            Wire.AssertError(again, HttpStatusCode.ServiceUnavailable, "SYS.1006");
            Assert.Contains($"already on the backup storage[uuid:{dst}] with status Ready", again.Body, StringComparison.Ordinal);
        }

        Assert.True(File.Exists(path));
    }
}
