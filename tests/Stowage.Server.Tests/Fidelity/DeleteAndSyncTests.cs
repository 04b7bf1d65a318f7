using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Sftp.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.Fidelity;

/// <summary>Issue 14 items 3 and 4: deletes that succeed on a missing resource, SyncImageSize, the sync alias's name, image defaults.</summary>
[Collection(StorageCollection.Name)]
public sealed class DeleteAndSyncTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Deleting_what_does_not_exist_succeeds_with_an_empty_result_as_ZStack_marks_it(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var missing = Guid.NewGuid().ToString("N");
        foreach (var path in new[] { "/images/", "/volume-snapshots/", "/volume-backups/", "/backup-storage/", "/zones/", "/tags/" })
        {
            var r = await client.CallAsync(HttpMethod.Delete, path + missing);
            Assert.True(r.Status == HttpStatusCode.OK, path + " " + r);
            Assert.Equal("{}", r.Body);
        }

        // A zone's uuid is not an image: DeleteImage on it is a delete of a missing image, and the zone stays.
        var zone = await client.CreateZoneAsync("z");
        Assert.Equal(HttpStatusCode.OK, (await client.CallAsync(HttpMethod.Delete, "/images/" + zone)).Status);
        Assert.Single(ZStackClient.Inventories(await client.QueryAsync("/zones")));

        // Not every API on an image is a delete: ExpungeImage of a missing image is still SYS.1003, a bad uuid still SYS.1007.
        var expunge = await BsKit.ActionAsync(client, $"/images/{missing}/actions", "expungeImage", new JsonObject());
        Assert.Equal("SYS.1003", expunge.ErrorCode);
        Assert.Equal("SYS.1007", (await client.CallAsync(HttpMethod.Delete, "/images/not-a-uuid")).ErrorCode);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task SyncImageSize_rereads_the_file_and_image_defaults_follow_ImageMessageFiller(Db db)
    {
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        var bs = await BsKit.AddOkAsync(client, sshd, url, "one");
        var bytes = ImageKit.RandomBytes(1_200_000);
        var body = ImageKit.AddBody(source.Add("s.raw", bytes), [bs]);
        body["params"]!.AsObject().Remove("platform");
        var added = await client.CallAsync(HttpMethod.Post, "/images", body);
        Assert.True(added.Status == HttpStatusCode.OK, added.ToString());
        var image = added.Json!["inventory"]!;
        Assert.Equal("Linux", image["platform"]!.GetValue<string>());
        Assert.Equal("Linux", image["guestOsType"]!.GetValue<string>());
        Assert.Equal("x86_64", image["architecture"]!.GetValue<string>());
        var uuid = image["uuid"]!.GetValue<string>();

        var data = await client.CallAsync(HttpMethod.Post, "/images", ImageKit.AddBody(source.Url("f", "s.raw"), [bs], "data", "DataVolumeTemplate", "Windows"));
        Assert.True(data.Status == HttpStatusCode.OK, data.ToString());
        Assert.Null(data.Json!["inventory"]!["architecture"]);
        Assert.Null(data.Json!["inventory"]!["guestOsType"]);

        // The file changes size behind Stowage's back (an admin truncated it); SyncImageSize reads it again.
        var path = image["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>();
        Proc.Run("chmod", "u+w", path);
        Proc.Run("truncate", "-s", "1000000", path);
        var synced = await BsKit.ActionAsync(client, $"/images/{uuid}/actions", "syncImageSize", new JsonObject());
        Assert.True(synced.Status == HttpStatusCode.OK, synced.ToString());
        Assert.Equal(1_000_000, synced.Json!["inventory"]!["actualSize"]!.GetValue<long>());
        Assert.Equal("org.zstack.header.image.ImageInventory", synced.Json!["schema"]!["inventory"]!.GetValue<string>());
        Assert.Equal(1_000_000, (await ImageKit.QueryAsync(client, $"q=uuid={uuid}")).Single()!["actualSize"]!.GetValue<long>());

        Assert.Equal("SYS.1003", (await BsKit.ActionAsync(client, $"/images/{Guid.NewGuid():N}/actions", "syncImageSize", new JsonObject())).ErrorCode);
        File.Delete(path);
        var gone = await BsKit.ActionAsync(client, $"/images/{uuid}/actions", "syncImageSize", new JsonObject());
        Assert.Equal("SYS.1006", gone.ErrorCode);
    }

    [Fact]
    public async Task The_ImageStore_sync_alias_wants_a_name_as_the_SDK_sends_it()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var r = await BsKit.ActionAsync(client, $"/images/{Guid.NewGuid():N}/actions", "syncImageFromImageStoreBackupStorage",
            new JsonObject { ["dstBackupStorageUuid"] = Guid.NewGuid().ToString("N") });
        Assert.Equal("SYS.1007", r.ErrorCode);
        Assert.Contains("name", r.Body, StringComparison.Ordinal);
    }
}
