using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Server.Tests.BackupStorage;

/// <summary>
/// What only the FileSystem type has: the embedded default a newcomer starts with, its url rules and
/// adoptDirectory. Everything it shares with the other types runs in the type-parametrised suites.
/// </summary>
public sealed class FileSystemBackupStorageTests
{
    [Fact]
    public async Task The_newcomer_path_stores_exports_and_downloads_an_image_with_no_other_host()
    {
        await using var source = await HttpSource.StartAsync();
        var content = ImageKit.Qcow2();
        var url = source.Add("cirros.qcow2", content);
        var dataDir = Directory.CreateTempSubdirectory("stowage-newcomer-").FullName;
        string bs, image;

        // The first server is stopped, not disposed: disposing deletes the data directory the second one reuses.
        var first = await StowageHost.StartAsync(dataDir: dataDir, extraArgs: ["--default-backup-storage", "images"]);
        {
            using var client = first.Client();
            await client.LoginAsync();
            var found = ZStackClient.Inventories(await client.QueryAsync("/backup-storage", "q=name=default"));
            var inv = Assert.Single(found)!;
            Assert.Equal("FileSystemBackupStorage", inv["type"]!.GetValue<string>());
            Assert.Equal(Path.Combine(dataDir, "images"), inv["url"]!.GetValue<string>());
            Assert.Equal("Connected", inv["status"]!.GetValue<string>());
            Assert.True(inv["availableCapacity"]!.GetValue<long>() > 0);
            bs = inv["uuid"]!.GetValue<string>();

            var added = await ImageKit.AddOkAsync(client, url, [bs], "cirros");
            image = added["uuid"]!.GetValue<string>();
            Assert.Equal("qcow2", added["format"]!.GetValue<string>());
            Assert.Equal(ImageKit.Sha256(content), added["sha256Sum"]!.GetValue<string>());

            var export = await BsKit.ActionAsync(client, $"/backup-storage/{bs}/actions", "exportImageFromBackupStorage", new JsonObject { ["imageUuid"] = image });
            Assert.True(export.Status == HttpStatusCode.OK, export.ToString());
            using var http = new HttpClient();
            Assert.Equal(content, await http.GetByteArrayAsync(export.Json!["imageUrl"]!.GetValue<string>()));
            await first.StopAsync();
        }

        // A restart keeps the same backup storage (no second one), Connected by the boot connect.
        await using (var host = await StowageHost.StartAsync(dataDir: dataDir, extraArgs: ["--default-backup-storage", "images"]))
        {
            using var client = host.Client();
            await client.LoginAsync();
            var all = ZStackClient.Inventories(await client.QueryAsync("/backup-storage"));
            Assert.Equal(bs, Assert.Single(all)!["uuid"]!.GetValue<string>());
            await ImageKit.WaitForAsync(() => BsKit.GetAsync(client, bs).GetAwaiter().GetResult()["status"]!.GetValue<string>() == "Connected");
            Assert.Single(await ImageKit.QueryAsync(client, $"q=uuid={image}"));
        }
    }

    [Fact]
    public async Task A_lost_database_gets_its_default_backup_storage_and_images_back()
    {
        await using var source = await HttpSource.StartAsync();
        var content = ImageKit.RandomBytes(1_500_000);
        var dataDir = Directory.CreateTempSubdirectory("stowage-newcomer-").FullName;
        string image;
        var first = await StowageHost.StartAsync(dataDir: dataDir, extraArgs: ["--default-backup-storage", "images"]);
        {
            using var client = first.Client();
            await client.LoginAsync();
            var bs = Assert.Single(ZStackClient.Inventories(await client.QueryAsync("/backup-storage")))!["uuid"]!.GetValue<string>();
            image = (await ImageKit.AddOkAsync(client, source.Add("a.raw", content), [bs], "kept"))["uuid"]!.GetValue<string>();
            await ImageKit.WaitForAsync(() => File.Exists(Path.Combine(dataDir, "images", "bs_sftp_info.json")));
            await first.StopAsync();
        }

        // The pooled SQLite connections of the stopped server still hold the old file open.
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        foreach (var file in Directory.EnumerateFiles(dataDir, "stowage.db*"))
        {
            File.Delete(file);
        }

        await using (var host = await StowageHost.StartAsync(dataDir: dataDir, extraArgs: ["--default-backup-storage", "images"]))
        {
            using var client = host.Client();
            await client.LoginAsync();
            var bs = Assert.Single(ZStackClient.Inventories(await client.QueryAsync("/backup-storage")))!;
            Assert.Equal("Connected", bs["status"]!.GetValue<string>());
            var restored = Assert.Single(await ImageKit.QueryAsync(client, $"q=uuid={image}"))!;
            Assert.Equal(ImageKit.Sha256(content), restored["sha256Sum"]!.GetValue<string>());
        }
    }

    [Fact]
    public async Task The_server_alone_adds_nothing_and_off_turns_the_default_off()
    {
        await using (var host = await StowageHost.StartAsync())
        {
            using var client = host.Client();
            await client.LoginAsync();
            Assert.Empty(ZStackClient.Inventories(await client.QueryAsync("/backup-storage")));
        }

        await using (var host = await StowageHost.StartAsync(extraArgs: ["--default-backup-storage", "off"]))
        {
            using var client = host.Client();
            await client.LoginAsync();
            Assert.Empty(ZStackClient.Inventories(await client.QueryAsync("/backup-storage")));
        }
    }

    [Fact]
    public async Task Urls_are_checked_and_directories_cannot_overlap()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var root = Directory.CreateTempSubdirectory("stowage-fs-api-").FullName;
        try
        {
            var ok = await AddAsync(client, "fs1", Path.Combine(root, "a") + "/");
            Assert.True(ok.Status == HttpStatusCode.OK, ok.ToString());
            Assert.Equal(Path.Combine(root, "a"), ok.Json!["inventory"]!["url"]!.GetValue<string>());
            Assert.Equal("org.zstack.storage.backup.filesystem.FileSystemBackupStorageInventory", ok.Json!["schema"]!["inventory"]!.GetValue<string>());

            foreach (var bad in new[] { "relative/dir", "/", "/proc/stowage", root + "/x/../a" })
            {
                var r = await AddAsync(client, "bad", bad);
                Assert.True(r.ErrorCode == "SYS.1007", $"{bad}: {r}");
            }

            foreach (var nested in new[] { Path.Combine(root, "a", "inner"), root })
            {
                var r = await AddAsync(client, "nested", nested);
                Assert.True(r.ErrorCode == "SYS.1006" && r.Body.Contains("overlaps", StringComparison.Ordinal), $"{nested}: {r}");
            }

            var query = await client.QueryAsync("/backup-storage/file-system", "q=name=fs1");
            Assert.Single(ZStackClient.Inventories(query));
            Assert.Equal("org.zstack.storage.backup.filesystem.FileSystemBackupStorageInventory", query.Json!["schema"]!["inventories[0]"]!.GetValue<string>());
            Assert.Contains("FileSystemBackupStorage", (await client.QueryAsync("/backup-storage/types")).Json!["types"]!.AsArray().Select(t => t!.GetValue<string>()));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task A_lost_marker_disconnects_and_adopt_directory_takes_the_directory_back()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var root = Directory.CreateTempSubdirectory("stowage-fs-api-").FullName;
        try
        {
            var bs = BsKit.Uuid(await AddAsync(client, "fs1", root));
            File.Delete(Path.Combine(root, ".stowage-backup-storage"));

            var reconnect = await BsKit.ActionAsync(client, $"/backup-storage/file-system/{bs}/actions", "reconnectFileSystemBackupStorage");
            Assert.Equal("BS.FS.1000", reconnect.ErrorCode);
            Assert.Contains("identity marker", reconnect.Body, StringComparison.Ordinal);
            Assert.Equal("Disconnected", (await BsKit.GetAsync(client, bs))["status"]!.GetValue<string>());

            var adopted = await BsKit.ActionAsync(client, $"/backup-storage/file-system/{bs}/actions", "updateFileSystemBackupStorage", new JsonObject { ["adoptDirectory"] = true, ["description"] = "restored" });
            Assert.True(adopted.Status == HttpStatusCode.OK, adopted.ToString());
            Assert.Equal("Connected", adopted.Json!["inventory"]!["status"]!.GetValue<string>());
            Assert.Equal(bs + "\n", await File.ReadAllTextAsync(Path.Combine(root, ".stowage-backup-storage")));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    [Fact]
    public async Task A_file_source_cannot_come_from_the_data_directory()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var root = Directory.CreateTempSubdirectory("stowage-fs-api-").FullName;
        try
        {
            var bs = BsKit.Uuid(await AddAsync(client, "fs1", root));
            var r = await ImageKit.AddAsync(client, "file://" + Path.Combine(host.DataDir, "stowage.db"), [bs]);
            Assert.NotEqual(HttpStatusCode.OK, r.Status);
            Assert.Contains("refused", r.Body, StringComparison.Ordinal);
            Assert.Empty(await ImageKit.QueryAsync(client));
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    private static Task<ApiResponse> AddAsync(ZStackClient client, string name, string url) =>
        client.CallAsync(HttpMethod.Post, "/backup-storage/file-system", new JsonObject { ["params"] = new JsonObject { ["name"] = name, ["url"] = url } });
}
