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

    /// <summary>
    /// The copy contract of both kinds over every ordered pair of types (<see cref="CopyMatrix"/>: one server per source
    /// type, a backup storage of every type beside it): each copy lands verified and Ready under its kind's folder.
    /// </summary>
    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task Snapshots_and_backups_copy_from_one_type_to_every_type_verified_and_Ready(string from)
    {
        await using var m = await CopyMatrix.StartAsync(world, from);
        var held = m.Destinations.ToDictionary(d => d.Uuid, _ => new List<string>());
        foreach (var (itemPath, folder) in new[] { ("/volume-snapshots", "volumeSnapshots"), ("/volume-backups", "volumes") })
        {
            var (item, srcPath) = await m.AddItemAsync(itemPath, 300_000);
            var sha = ImageKit.Sha256(await m.Source.ReadAsync(m.SrcLocation, srcPath));
            await m.ForEachAsync(async d =>
            {
                var r = await m.CopyAsync(itemPath, item, d.Uuid);
                var installPath = CopyMatrix.ReadyCopy(r, d.Uuid);
                Assert.StartsWith($"{d.Location.Url}/{folder}/", installPath, StringComparison.Ordinal);
                Assert.Equal(sha, ImageKit.Sha256(await d.Storage.ReadAsync(d.Location, installPath)));
                Assert.Equal(r.Json!["inventory"]!["sha256Sum"]!.GetValue<string>(), sha);
                held[d.Uuid].Add(installPath);
                Assert.Equal(held[d.Uuid].Order(), (await d.Storage.FilesAsync(d.Location)).Order());
                d.Storage.AssertNoTransferLeft(d.Location);
            });
            Assert.Equal([.. m.Destinations.Select(d => d.Uuid).Append(m.Src).Order()], await VolumeKit.QueryUuidsAsync(m.Client, "/backup-storage", $"{(itemPath == "/volume-snapshots" ? "volumeSnapshot" : "volumeBackup")}.uuid={item}"));
        }

        await using var db = m.Host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
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
