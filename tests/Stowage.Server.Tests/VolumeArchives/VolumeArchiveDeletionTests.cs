using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.VolumeArchives;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.Protocol;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.VolumeArchives;

/// <summary>Deleting a backup storage takes its volume snapshot/backup copies, and the items whose only copy it held.</summary>
[Collection(StorageCollection.Name)]
public sealed class VolumeArchiveDeletionTests(StorageWorld world)
{
    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task Deleting_a_backup_storage_removes_its_copies_and_items_only_it_held_and_Permissive_refuses_when_files_cannot_go(string type)
    {
        var storage = world[type];
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var loc1 = storage.NewLocation();
        var url1 = loc1.LocalPath;
        var loc2 = storage.NewLocation();
        var bs1 = await storage.AddOkAsync(client, loc1, "one");
        var bs2 = await storage.AddOkAsync(client, loc2, "two");
        var file = source.Add("s.raw", ImageKit.RandomBytes(200_000));
        var only1 = VolumeKit.Uuid(await VolumeKit.AddOkAsync(client, "/volume-snapshots", file, [bs1], "only-one"));
        var both = VolumeKit.Uuid(await VolumeKit.AddOkAsync(client, "/volume-snapshots", file, [bs1, bs2], "both"));
        var backup = VolumeKit.Uuid(await VolumeKit.AddOkAsync(client, "/volume-backups", file, [bs1], "backup"));
        var image = VolumeKit.Uuid(await ImageKit.AddOkAsync(client, file, [bs1, bs2]));

        Wire.AssertOk(await client.CallAsync(HttpMethod.Delete, $"/backup-storage/{bs1}"));
        Assert.Empty(url1.Length > 0 && !Directory.Exists(url1) ? [] : await storage.FilesAsync(loc1));
        Assert.Equal([both], await VolumeKit.QueryUuidsAsync(client, "/volume-snapshots"));
        Assert.DoesNotContain(only1, await VolumeKit.QueryUuidsAsync(client, "/volume-snapshots"));
        Assert.Empty(await VolumeKit.QueryUuidsAsync(client, "/volume-backups"));
        Assert.DoesNotContain(backup, await VolumeKit.QueryUuidsAsync(client, "/volume-backups"));
        var left = (await client.QueryAsync("/volume-snapshots")).Json!["inventories"]![0]!;
        Assert.Equal([bs2], VolumeKit.RefBs(left));
        Assert.Equal([image], (await ImageKit.QueryAsync(client)).Select(i => i!["uuid"]!.GetValue<string>()));

        // Permissive refuses when the files of a complete copy cannot be removed; nothing is touched.
        await SetStatusAsync(host, bs2, "Disconnected");
        var refused = await client.CallAsync(HttpMethod.Delete, $"/backup-storage/{bs2}");
        Assert.Equal("SYS.1004", refused.ErrorCode);
        Assert.Contains("Enforcing", refused.Body, StringComparison.Ordinal);
        Assert.Equal([both], await VolumeKit.QueryUuidsAsync(client, "/volume-snapshots"));
        Assert.Equal([bs2], await VolumeKit.QueryUuidsAsync(client, "/backup-storage"));
        Assert.Equal(2, (await storage.FilesAsync(loc2)).Count);

        // Enforcing goes on: the copies and the items go.
        Wire.AssertOk(await client.CallAsync(HttpMethod.Delete, $"/backup-storage/{bs2}?deleteMode=Enforcing"));
        Assert.Empty(await VolumeKit.QueryUuidsAsync(client, "/volume-snapshots"));
        Assert.Empty(await VolumeKit.QueryUuidsAsync(client, "/backup-storage"));
        await using var db = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        Assert.Equal(0, await db.VolumeArchiveRefs.CountAsync());
        Assert.False(await db.Resources.AnyAsync(r => r.Uuid == both || r.Uuid == only1 || r.Uuid == backup));
    }

    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task Restart_recovery_fails_copies_left_downloading_and_settles_their_items(string type)
    {
        var storage = world[type];
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var loc1 = storage.NewLocation();
        var loc2 = storage.NewLocation();
        var bs1 = await storage.AddOkAsync(client, loc1, "one");
        var bs2 = await storage.AddOkAsync(client, loc2, "two");
        var kept = VolumeKit.Uuid(await VolumeKit.AddOkAsync(client, "/volume-snapshots", source.Add("k.raw", ImageKit.RandomBytes(50_000)), [bs1], "kept"));
        var factory = host.Services.GetRequiredService<StowageDbContextFactory>();
        var now = DateTime.UtcNow;
        var lost = Guid.NewGuid().ToString("N");
        await using (var db = factory.CreateDbContext())
        {
            // What a crash leaves: one item only Downloading, and a copy Downloading beside a Ready one.
            db.Resources.Add(new ResourceEntity { Uuid = lost, ResourceType = VolumeArchiveKind.Backup.ResourceType, ResourceName = "lost", CreateDate = now });
            db.VolumeArchives.Add(new VolumeArchiveEntity
            {
                Uuid = lost, Kind = "VolumeBackup", Name = "lost", VolumeUuid = VolumeKit.VolumeUuid, Status = "Downloading", Url = "http://x/y", OwnerAccountUuid = "admin", CreateDate = now, LastOpDate = now,
            });
            db.VolumeArchiveRefs.Add(Downloading(lost, bs1, loc1.Url, now));
            db.VolumeArchiveRefs.Add(Downloading(kept, bs2, loc2.Url, now));
            await db.SaveChangesAsync();
            await db.VolumeArchives.Where(a => a.Uuid == kept).ExecuteUpdateAsync(s => s.SetProperty(a => a.Status, "Downloading"));
        }

        Assert.Equal(2, await VolumeArchiveRecovery.RecoverAsync(host.Services, CancellationToken.None));
        Assert.Empty(await VolumeKit.QueryUuidsAsync(client, "/volume-backups"));
        var snap = (await client.QueryAsync("/volume-snapshots")).Json!["inventories"]![0]!;
        Assert.Equal("Ready", snap["status"]!.GetValue<string>());
        var error = snap["backupStorageRefs"]!.AsArray().Single(r => r!["backupStorageUuid"]!.GetValue<string>() == bs2)!;
        Assert.Equal("Error", error["status"]!.GetValue<string>());
        Assert.Contains("restarted", error["lastError"]!.GetValue<string>(), StringComparison.Ordinal);
        await using var check = factory.CreateDbContext();
        Assert.Equal(0, await check.VolumeArchiveRefs.SumAsync(r => r.ReservedSize));
        Assert.False(await check.Resources.AnyAsync(r => r.Uuid == lost));
    }

    private static VolumeArchiveRefEntity Downloading(string uuid, string bs, string url, DateTime now) => new()
    {
        ArchiveUuid = uuid, BackupStorageUuid = bs, InstallPath = $"{url}/volumes/acct-admin/{uuid}/{uuid}.volume", Status = "Downloading", ReservedSize = 1000,
        CreateDate = now, LastOpDate = now,
    };

    private static async Task SetStatusAsync(StowageHost host, string bs, string status)
    {
        await using var db = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        await db.BackupStorages.Where(b => b.Uuid == bs).ExecuteUpdateAsync(s => s.SetProperty(b => b.Status, status));
    }
}
