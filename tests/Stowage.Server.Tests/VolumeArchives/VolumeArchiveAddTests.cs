using System.Net;
using System.Text.RegularExpressions;
using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.Protocol;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.VolumeArchives;

/// <summary>AddVolumeSnapshot and AddVolumeBackup: the sources, folders, capacity and failure rules of AddImage.</summary>
[Collection(StorageCollection.Name)]
public sealed class VolumeArchiveAddTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Snapshot_from_http_and_backup_from_a_host_file_land_in_their_folders_and_are_queryable(Db dbKind)
    {
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync(dbKind);
        using var client = host.Client();
        await client.LoginAsync();
        var url1 = sshd.NewPath();
        var url2 = sshd.NewPath();
        var bs1 = await BsKit.AddOkAsync(client, sshd, url1, "one");
        var bs2 = await BsKit.AddOkAsync(client, sshd, url2, "two");
        List<string> pair = [.. new[] { bs1, bs2 }.Order()];
        var bytes = ImageKit.RandomBytes(300_000);
        var r = await VolumeKit.AddAsync(client, "/volume-snapshots", source.Add("s.qcow2", bytes), [bs1, bs2], "snap", [$"checksum::sha256::{ImageKit.Sha256(bytes)}"]);
        Assert.True(r.Status == HttpStatusCode.OK, r.ToString());
        var snap = r.Json!["inventory"]!;
        var snapUuid = VolumeKit.Uuid(snap);
        Assert.Equal("Ready", snap["status"]!.GetValue<string>());
        Assert.Equal(VolumeKit.VolumeUuid, snap["volumeUuid"]!.GetValue<string>());
        Assert.Equal(VolumeKit.TreeUuid, snap["treeUuid"]!.GetValue<string>());
        Assert.Equal(ImageKit.Sha256(bytes), snap["sha256Sum"]!.GetValue<string>());
        Assert.Equal(300_000, snap["actualSize"]!.GetValue<long>());
        Assert.Equal(pair, VolumeKit.RefBs(snap));
        var path1 = snap["backupStorageRefs"]!.AsArray().Single(x => x!["backupStorageUuid"]!.GetValue<string>() == bs1)!["installPath"]!.GetValue<string>();
        Assert.Matches($"^{Regex.Escape(url1)}/volumeSnapshots/acct-[^/]+/{snapUuid}/{snapUuid}\\.snapshot$", path1);
        Assert.Equal(snapUuid, snap["backupStorageRefs"]![0]!["volumeSnapshotUuid"]!.GetValue<string>());
        Assert.Equal(bytes, await File.ReadAllBytesAsync(path1));

        var content = ImageKit.Qcow2();
        var file = Path.Combine(sshd.NewOwnedDir("src"), "vol.qcow2");
        await File.WriteAllBytesAsync(file, content);
        var backup = await VolumeKit.AddOkAsync(client, "/volume-backups", "file://" + file, [bs1], "backup");
        var backupUuid = VolumeKit.Uuid(backup);
        Assert.Equal("qcow2", backup["format"]!.GetValue<string>());
        Assert.Null(backup["treeUuid"]);
        var backupPath = backup["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>();
        Assert.StartsWith($"{url1}/volumes/acct-", backupPath, StringComparison.Ordinal);
        Assert.EndsWith($"/{backupUuid}/{backupUuid}.volume", backupPath, StringComparison.Ordinal);
        Assert.Equal(backupUuid, backup["backupStorageRefs"]![0]!["volumeBackupUuid"]!.GetValue<string>());
        Assert.Equal(content, await File.ReadAllBytesAsync(backupPath));
        Assert.Equal(2, ImageKit.Files(url1).Count);

        Assert.Equal(pair, await VolumeKit.QueryUuidsAsync(client, "/backup-storage", $"volumeSnapshot.uuid={snapUuid}"));
        Assert.Equal([bs1], await VolumeKit.QueryUuidsAsync(client, "/backup-storage", $"volumeBackup.uuid={backupUuid}"));
        Assert.Equal([bs1], await VolumeKit.QueryUuidsAsync(client, "/backup-storage", "volumeSnapshot.treeUuid=" + VolumeKit.TreeUuid, "name=one"));
        Assert.Equal([snapUuid], await VolumeKit.QueryUuidsAsync(client, "/volume-snapshots", $"backupStorage.uuid={bs2}"));
        Assert.Equal([snapUuid], await VolumeKit.QueryUuidsAsync(client, "/volume-snapshots", "volumeUuid=" + VolumeKit.VolumeUuid));
        Assert.Equal([backupUuid], await VolumeKit.QueryUuidsAsync(client, "/volume-backups", "backupStorageRefs.status=Ready"));
        Assert.Empty(await VolumeKit.QueryUuidsAsync(client, "/volume-backups", $"uuid={snapUuid}"));
        Assert.Equal([snapUuid], await VolumeKit.QueryUuidsAsync(client, $"/volume-snapshots/{snapUuid}"));
        await SourceKit.NoReservationAsync(host, url1, bs1);
        await SourceKit.NoReservationAsync(host, url2, bs2);

        // Their folders are referenced, never trash; a folder under volumes/ that no row claims is.
        var stray = Path.Combine(Path.GetDirectoryName(Path.GetDirectoryName(backupPath)!)!, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(stray);
        await File.WriteAllBytesAsync(Path.Combine(stray, "x.volume"), new byte[10]);
        Proc.Run("chown", "-R", $"{sshd.User}:", stray);
        var trash = ZStackClient.Inventories(await client.QueryAsync("/backup-storage/trash", "uuid=" + bs1));
        Assert.Equal([Path.GetFileName(stray)], trash.Select(t => Path.GetFileName(t!["installPath"]!.GetValue<string>())));
        Directory.Delete(stray, recursive: true);

        Wire.AssertOk(await client.CallAsync(HttpMethod.Delete, $"/volume-snapshots/{snapUuid}?backupStorageUuids={bs1}"));
        Assert.False(File.Exists(path1));
        Assert.Equal([bs2], VolumeKit.RefBs((await client.QueryAsync("/volume-snapshots")).Json!["inventories"]![0]!));
        Wire.AssertOk(await client.CallAsync(HttpMethod.Delete, $"/volume-snapshots/{snapUuid}"));
        Wire.AssertOk(await client.CallAsync(HttpMethod.Delete, $"/volume-backups/{backupUuid}"));
        Assert.Empty(ImageKit.Files(url1));
        Assert.Empty(ImageKit.Files(url2));
        Assert.Empty(await VolumeKit.QueryUuidsAsync(client, "/volume-snapshots"));
        Assert.Empty(await VolumeKit.QueryUuidsAsync(client, "/volume-backups"));
    }

    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task Failed_sources_and_bad_arguments_leave_no_row_no_file_no_reservation_and_no_process(string type)
    {
        var storage = world[type];
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var (bs, location) = await storage.AddNewAsync(client);
        var url = location.LocalPath;

        var missing = await VolumeKit.AddAsync(client, "/volume-snapshots", source.Url("f", "nothing.qcow2"), [bs]);
        Assert.Equal("SYS.1002", missing.ErrorCode);
        Assert.Contains("volume snapshot", missing.Body, StringComparison.Ordinal);
        var bytes = ImageKit.RandomBytes(100_000);
        var wrong = await VolumeKit.AddAsync(client, "/volume-backups", source.Add("b.raw", bytes), [bs], "b", [$"checksum::sha256::{new string('0', 64)}"]);
        Assert.Equal("SYS.1002", wrong.ErrorCode);
        storage.AssertNoTransferLeft(location);
        Assert.Empty(await storage.FilesAsync(location));
        Assert.Empty(await VolumeKit.QueryUuidsAsync(client, "/volume-snapshots"));
        Assert.Empty(await VolumeKit.QueryUuidsAsync(client, "/volume-backups"));
        await SourceKit.NoReservationAsync(host, url, bs);

        var body = VolumeKit.Body("/volume-snapshots", source.Add("c.raw", bytes), [bs]);
        body["params"]!["volumeUuid"] = "not-a-uuid";
        Assert.Equal("SYS.1007", (await client.CallAsync(HttpMethod.Post, "/volume-snapshots", body)).ErrorCode);
        var noVolume = VolumeKit.Body("/volume-backups", source.Add("d.raw", bytes), [bs]);
        noVolume["params"]!.AsObject().Remove("volumeUuid");
        Assert.Equal("SYS.1007", (await client.CallAsync(HttpMethod.Post, "/volume-backups", noVolume)).ErrorCode);
        // A delete of a snapshot that does not exist succeeds, as ZStack's successIfResourceNotExisting.
        Assert.Equal(HttpStatusCode.OK, (await client.CallAsync(HttpMethod.Delete, $"/volume-snapshots/{Guid.NewGuid():N}")).Status);
        Assert.Empty(await storage.FilesAsync(location));
    }

    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task A_running_copy_reserves_its_size_and_deleting_it_cancels_the_transfer_and_gives_everything_back(string type)
    {
        var storage = world[type];
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var (bs, location) = await storage.AddNewAsync(client);
        var url = location.LocalPath;
        var before = (await BsKit.GetAsync(client, bs))["availableCapacity"]!.GetValue<long>();
        source.Add("slow.raw", ImageKit.RandomBytes(20_000_000));
        var accepted = await client.SendAsync(HttpMethod.Post, "/volume-snapshots", VolumeKit.Body("/volume-snapshots", source.Url("slow", "slow.raw"), [bs]));
        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
        var factory = host.Services.GetRequiredService<StowageDbContextFactory>();
        string uuid = string.Empty;
        await ImageKit.WaitForAsync(() =>
        {
            using var db = factory.CreateDbContext();
            var row = db.VolumeArchiveRefs.AsNoTracking().FirstOrDefault(r => r.ReservedSize == 20_000_000);
            uuid = row?.ArchiveUuid ?? string.Empty;
            return row is not null;
        });
        Assert.True((await BsKit.GetAsync(client, bs))["availableCapacity"]!.GetValue<long>() < before - 10_000_000, "the copy reserves its size (other tests write to the same filesystem, hence the slack)");

        Wire.AssertOk(await client.CallAsync(HttpMethod.Delete, $"/volume-snapshots/{uuid}"));
        var failed = await client.PollAsync(accepted, TimeSpan.FromSeconds(30));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, failed.Status);
        storage.AssertNoTransferLeft(location);
        Assert.Empty(await storage.FilesAsync(location));
        Assert.Empty(await VolumeKit.QueryUuidsAsync(client, "/volume-snapshots"));
        await SourceKit.NoReservationAsync(host, url, bs);
    }

    [Fact]
    public async Task Sftp_sources_are_streamed_and_a_copy_that_does_not_fit_is_refused_like_an_image()
    {
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        var bs = await BsKit.AddOkAsync(client, sshd, url);
        var content = ImageKit.RandomBytes(1_500_000);
        var file = Path.Combine(sshd.NewOwnedDir("src"), "remote.raw");
        await File.WriteAllBytesAsync(file, content);
        var sftpUrl = $"sftp://{sshd.User}:{Uri.EscapeDataString(sshd.Password)}@127.0.0.1:{sshd.Port}{file}";

        var backup = await VolumeKit.AddOkAsync(client, "/volume-backups", sftpUrl, [bs], "remote");
        Assert.Equal($"sftp://{sshd.User}@127.0.0.1:{sshd.Port}{file}", backup["url"]!.GetValue<string>());
        Assert.Equal(ImageKit.Sha256(content), backup["sha256Sum"]!.GetValue<string>());
        Assert.Equal(content, await File.ReadAllBytesAsync(backup["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>()));
        await SourceKit.NoReservationAsync(host, url, bs);

        await ImageKit.SetConfigAsync(client, "backupStorage", "reservedCapacity", "1000T");
        var refused = await VolumeKit.AddAsync(client, "/volume-snapshots", source.Add("big.raw", content), [bs], "big");
        Assert.Equal("SYS.1002", refused.ErrorCode);
        Assert.Contains("not enough capacity to download the volume snapshot[big]", refused.Body, StringComparison.Ordinal);
        Assert.Empty(await VolumeKit.QueryUuidsAsync(client, "/volume-snapshots"));
        Assert.Single(ImageKit.Files(url));
        ImageKit.NoProcessFor(sshd.User, url);
        await SourceKit.NoReservationAsync(host, url, bs);
    }
}
