using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Features.Images;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Images;

[Collection(StorageCollection.Name)]
public sealed class ImageDeletionTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task Delay_policy_marks_deleted_recover_brings_back_expunge_removes_files(string type)
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
        var image = await ImageKit.AddOkAsync(client, source.Add("d.raw", ImageKit.RandomBytes(500_000)), [bs1, bs2]);
        var uuid = image["uuid"]!.GetValue<string>();

        Assert.Equal(HttpStatusCode.OK, (await client.CallAsync(HttpMethod.Delete, $"/images/{uuid}?backupStorageUuids={bs1}")).Status);
        var after = (await ImageKit.QueryAsync(client)).Single()!;
        Assert.Equal("Ready", after["status"]!.GetValue<string>());
        Assert.Equal(["Deleted", "Ready"], after["backupStorageRefs"]!.AsArray().Select(r => r!["status"]!.GetValue<string>()).Order());
        Assert.Single(await storage.FilesAsync(loc1));

        Assert.Equal(HttpStatusCode.OK, (await client.CallAsync(HttpMethod.Delete, $"/images/{uuid}")).Status);
        Assert.Equal("Deleted", (await ImageKit.QueryAsync(client)).Single()!["status"]!.GetValue<string>());
        var recovered = await BsKit.ActionAsync(client, $"/images/{uuid}/actions", "recoverImage", new JsonObject { ["backupStorageUuids"] = new JsonArray(bs2) });
        Assert.Equal("Ready", recovered.Json!["inventory"]!["status"]!.GetValue<string>());
        Assert.Equal("SYS.1007", (await BsKit.ActionAsync(client, $"/images/{uuid}/actions", "expungeImage", new JsonObject { ["backupStorageUuids"] = new JsonArray(bs2) })).ErrorCode);

        Assert.Equal(HttpStatusCode.OK, (await BsKit.ActionAsync(client, $"/images/{uuid}/actions", "expungeImage", new JsonObject())).Status);
        Assert.Empty(await storage.FilesAsync(loc1));
        Assert.Single(await storage.FilesAsync(loc2));
        Assert.Single((await ImageKit.QueryAsync(client)).Single()!["backupStorageRefs"]!.AsArray());

        Assert.Equal(HttpStatusCode.OK, (await client.CallAsync(HttpMethod.Delete, $"/images/{uuid}")).Status);
        await ImageKit.SetConfigAsync(client, "image", "expungePeriod", "1");
        await Task.Delay(1100);
        Assert.Equal(1, await host.Services.GetRequiredService<ImageExpungeService>().RunOnceAsync(CancellationToken.None));
        Assert.Empty(await storage.FilesAsync(loc2));
        Assert.Empty(await ImageKit.QueryAsync(client));
    }

    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task Direct_policy_removes_files_at_once_and_deleting_a_backup_storage_takes_its_copies(string type)
    {
        var storage = world[type];
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        await ImageKit.SetConfigAsync(client, "image", "deletionPolicy", "Direct");
        var loc1 = storage.NewLocation();
        var loc2 = storage.NewLocation();
        var bs1 = await storage.AddOkAsync(client, loc1, "one");
        var bs2 = await storage.AddOkAsync(client, loc2, "two");
        var file = source.Add("e.raw", ImageKit.RandomBytes(400_000));
        var direct = (await ImageKit.AddOkAsync(client, file, [bs1], "direct"))["uuid"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await client.CallAsync(HttpMethod.Delete, $"/images/{direct}")).Status);
        Assert.Empty(await storage.FilesAsync(loc1));

        var only1 = (await ImageKit.AddOkAsync(client, file, [bs1], "only-on-one"))["uuid"]!.GetValue<string>();
        var both = (await ImageKit.AddOkAsync(client, file, [bs1, bs2], "on-both"))["uuid"]!.GetValue<string>();
        Assert.Equal(HttpStatusCode.OK, (await client.CallAsync(HttpMethod.Delete, $"/backup-storage/{bs1}")).Status);
        Assert.Empty(await storage.FilesAsync(loc1));
        var left = await ImageKit.QueryAsync(client);
        Assert.Equal([both], left.Select(i => i!["uuid"]!.GetValue<string>()));
        Assert.DoesNotContain(left, i => i!["uuid"]!.GetValue<string>() == only1);
        Assert.Equal([bs2], left.Single()!["backupStorageRefs"]!.AsArray().Select(r => r!["backupStorageUuid"]!.GetValue<string>()));
    }

    [Fact]
    public async Task A_full_disk_fails_the_add_and_leaves_the_small_filesystem_empty()
    {
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        await ImageKit.SetConfigAsync(client, "backupStorage", "reservedCapacity", "0");
        var mount = sshd.NewOwnedDir("small");
        var uid = Proc.Run("id", "-u", sshd.User).Trim();
        Proc.Run("mount", "-t", "tmpfs", "-o", $"size=4m,uid={uid},mode=0755", "tmpfs", mount);
        try
        {
            var bs = await BsKit.AddOkAsync(client, sshd, mount, "small");
            source.Add("big.raw", ImageKit.RandomBytes(6_000_000));
            var announced = await ImageKit.AddAsync(client, source.Url("f", "big.raw"), [bs]);
            Assert.Contains("has not enough capacity", announced.Body, StringComparison.Ordinal);
            var unannounced = await ImageKit.AddAsync(client, source.Url("nolen", "big.raw"), [bs]);
            Assert.Equal("SYS.1002", unannounced.ErrorCode);
            Assert.Contains("disk full", unannounced.Body, StringComparison.Ordinal);
            Assert.Empty(ImageKit.Files(mount));
            ImageKit.NoTransferProcess(sshd);
            var inv = await BsKit.GetAsync(client, bs);
            Assert.InRange(inv["availableCapacity"]!.GetValue<long>(), 3_500_000, ImageKit.DfAvailable(mount));
        }
        finally
        {
            Proc.Run("umount", "-l", mount);
        }
    }
}
