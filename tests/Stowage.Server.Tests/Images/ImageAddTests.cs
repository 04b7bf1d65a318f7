using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Images;

[Collection(StorageCollection.Name)]
public sealed class ImageAddTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Theory]
    [MemberData(nameof(StorageWorld.AllTypesOnBothDatabases), MemberType = typeof(StorageWorld))]
    public async Task Add_from_http_lands_read_only_with_facts_and_is_queryable(string type, Db db)
    {
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var storage = world[type];
        var (bs, location) = await storage.AddNewAsync(client, "bs-images");
        var url = location.Url;
        var content = ImageKit.Qcow2();
        var image = await ImageKit.AddOkAsync(client, source.Add("centos-7.qcow2", content), [bs], "centos");

        Assert.Equal("Ready", image["status"]!.GetValue<string>());
        Assert.Equal("qcow2", image["format"]!.GetValue<string>());
        Assert.Equal(64L * 1024 * 1024, image["size"]!.GetValue<long>());
        Assert.Equal(content.Length, image["actualSize"]!.GetValue<long>());
        Assert.Equal(ImageKit.Md5(content), image["md5Sum"]!.GetValue<string>());
        Assert.Equal(ImageKit.Sha256(content), image["sha256Sum"]!.GetValue<string>());
        var copy = image["backupStorageRefs"]!.AsArray().Single()!;
        Assert.Equal("Ready", copy["status"]!.GetValue<string>());
        var uuid = image["uuid"]!.GetValue<string>();
        var path = copy["installPath"]!.GetValue<string>();
        Assert.Matches($"^{url}/rootVolumeTemplates/acct-[0-9a-f]{{32}}/{uuid}/centos-7\\.template$", path);
        Assert.Equal(content, await storage.ReadAsync(location, path));
        if (storage.HasFileModes)
        {
            Assert.Equal("444", ImageKit.Mode(location.Local(path)));
        }

        Assert.Equal([path], await storage.FilesAsync(location));

        Assert.Single(await ImageKit.QueryAsync(client, "q=backupStorage.name=bs-images"));
        Assert.Single(await ImageKit.QueryAsync(client, "q=backupStorageRefs.status=Ready", "q=platform=Linux"));
        Assert.Empty(await ImageKit.QueryAsync(client, "q=backupStorage.name=other"));
        Assert.Single(ZStackClient.Inventories(await client.QueryAsync("/backup-storage", "q=image.platform=Linux")));
        Assert.Empty(ZStackClient.Inventories(await client.QueryAsync("/backup-storage", "q=image.platform=Windows")));
        var bsInv = await BsKit.GetAsync(client, bs);
        // Other tests write to the same filesystem meanwhile: the bound allows for them, not for a made-up figure.
        Assert.True(bsInv["availableCapacity"]!.GetValue<long>() <= (storage.HasFileModes ? ImageKit.DfAvailable(location.LocalPath) + (256 << 20) : (10L << 30) - content.Length));

        var updated = await BsKit.ActionAsync(client, $"/images/{uuid}/actions", "updateImage", new JsonObject { ["name"] = "centos-7", ["guestOsType"] = "CentOS 7" });
        Assert.Equal("centos-7", updated.Json!["inventory"]!["name"]!.GetValue<string>());
        var disabled = await BsKit.ActionAsync(client, $"/images/{uuid}/actions", "changeImageState", new JsonObject { ["stateEvent"] = "disable" });
        Assert.Equal("Disabled", disabled.Json!["inventory"]!["state"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task A_disabled_or_disconnected_backup_storage_refuses_and_accepts_once_enabled(string type)
    {
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var (bs, location) = await world[type].AddNewAsync(client);
        var file = source.Add("a.raw", ImageKit.RandomBytes(300_000));
        await BsKit.ActionAsync(client, $"/backup-storage/{bs}/actions", "changeBackupStorageState", new JsonObject { ["stateEvent"] = "disable" });

        var refused = await ImageKit.AddAsync(client, file, [bs]);
        Assert.Equal("SYS.1006", refused.ErrorCode);
        Assert.Contains("because its state is Disabled", refused.Body, StringComparison.Ordinal);
        Assert.Empty(await ImageKit.QueryAsync(client));
        Assert.Empty(await world[type].FilesAsync(location));

        await BsKit.ActionAsync(client, $"/backup-storage/{bs}/actions", "changeBackupStorageState", new JsonObject { ["stateEvent"] = "enable" });
        Assert.Equal("Ready", (await ImageKit.AddOkAsync(client, file, [bs]))["status"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task Streamed_path_writes_the_same_file_and_credentials_never_show(string type)
    {
        var storage = world[type];
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var (bs, location) = await storage.AddNewAsync(client);
        await ImageKit.SetConfigAsync(client, "image", "download.mode", "Stream");
        var content = ImageKit.RandomBytes(3_000_000);
        source.Add("disk.iso", content);
        var secretUrl = source.Url("auth", "disk.iso").Replace("http://", "http://u:p4ss@", StringComparison.Ordinal);

        var image = await ImageKit.AddOkAsync(client, secretUrl, [bs], mediaType: "ISO");
        var path = image["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>();
        Assert.Contains("/iso/", path, StringComparison.Ordinal);
        Assert.EndsWith("/disk.iso", path, StringComparison.Ordinal);
        Assert.Equal(content, await storage.ReadAsync(location, path));
        Assert.Equal(ImageKit.Sha256(content), image["sha256Sum"]!.GetValue<string>());
        Assert.DoesNotContain("p4ss", image.ToJsonString(), StringComparison.Ordinal);
        Assert.DoesNotContain("p4ss", (await client.QueryAsync("/images")).Body, StringComparison.Ordinal);
        if (!storage.Traits.HostPullsFromUrl)
        {
            return;
        }

        // The host pull path with the same secret url: curl reads it from a pipe, never from its command line.
        await ImageKit.SetConfigAsync(client, "image", "download.mode", "HostPull");
        var pulled = await ImageKit.AddOkAsync(client, secretUrl, [bs], "pulled");
        Assert.Equal(ImageKit.Sha256(content), pulled["sha256Sum"]!.GetValue<string>());
        Assert.DoesNotContain("p4ss", pulled.ToJsonString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ftp://127.0.0.1/")]
    [InlineData("file://etc/passwd")]
    [InlineData("not a url")]
    [InlineData("http://example.com/a\".qcow2")]
    public async Task Bad_urls_are_refused(string badUrl)
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var bs = await BsKit.AddOkAsync(client, sshd, sshd.NewPath());
        var r = await ImageKit.AddAsync(client, badUrl, [bs]);
        Assert.Equal("SYS.1007", r.ErrorCode);
        var own = await ImageKit.AddAsync(client, new Uri(host.BaseAddress, "/zstack/v1/images").ToString(), [bs]);
        Assert.Equal("SYS.1007", own.ErrorCode);
        Assert.Empty(await ImageKit.QueryAsync(client));
    }
}
