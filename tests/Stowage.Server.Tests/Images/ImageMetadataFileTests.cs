using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.Images;

/// <summary><c>bs_sftp_info.json</c> follows the Ready copies, and importImages registers them on a fresh server.</summary>
[Collection(StorageCollection.Name)]
public sealed class ImageMetadataFileTests(StorageWorld world)
{
    [Theory]
    [MemberData(nameof(StorageWorld.Types), MemberType = typeof(StorageWorld))]
    public async Task Metadata_file_follows_adds_and_deletes_and_a_fresh_server_imports_it(string type)
    {
        var storage = world[type];
        await using var source = await HttpSource.StartAsync();
        var loc = storage.NewLocation();
        var url = loc.LocalPath;
        var file = Path.Combine(url, "bs_sftp_info.json");
        JsonNode kept;
        string deleted;
        await using (var first = await StowageHost.StartAsync())
        {
            using var client = first.Client();
            await client.LoginAsync();
            var bs = await storage.AddOkAsync(client, loc);
            Assert.False(File.Exists(file));
            kept = await ImageKit.AddOkAsync(client, source.Add("a.qcow2", ImageKit.Qcow2()), [bs], "kept");
            var gone = await ImageKit.AddOkAsync(client, source.Add("b.raw", ImageKit.RandomBytes(3 << 20)), [bs], "gone", "DataVolumeTemplate");
            deleted = gone["uuid"]!.GetValue<string>();

            var lines = Lines(file);
            Assert.Equal([kept["uuid"]!.GetValue<string>(), deleted], lines.Select(l => l["uuid"]!.GetValue<string>()));
            Assert.All(lines, l => Assert.Equal(bs, l["backupStorageRefs"]!.AsArray().Single()!["backupStorageUuid"]!.GetValue<string>()));
            Assert.Equal(kept["md5Sum"]!.GetValue<string>(), lines[0]["md5Sum"]!.GetValue<string>());
            Assert.Equal(kept["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>(), lines[0]["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>());

            Assert.Equal(HttpStatusCode.OK, (await client.CallAsync(HttpMethod.Delete, "/images/" + deleted)).Status);
            Assert.Equal([kept["uuid"]!.GetValue<string>()], Lines(file).Select(l => l["uuid"]!.GetValue<string>()));
        }

        // Lines the import must skip: a copy whose file is gone, one whose size differs, garbage, a duplicate.
        var keptLine = File.ReadAllLines(file).Single();
        var missing = JsonNode.Parse(keptLine)!;
        missing["uuid"] = Guid.NewGuid().ToString("N");
        missing["backupStorageRefs"]![0]!["installPath"] = url + "/rootVolumeTemplates/acct-x/" + missing["uuid"] + "/nothing.template";
        var resized = JsonNode.Parse(keptLine)!;
        resized["uuid"] = Guid.NewGuid().ToString("N");
        resized["actualSize"] = 1;
        await File.AppendAllTextAsync(file, $"{missing.ToJsonString()}\n{resized.ToJsonString()}\nnot json\n{keptLine}\n");

        await using var second = await StowageHost.StartAsync();
        using var c2 = second.Client();
        await c2.LoginAsync();
        var body = storage.AddBody(loc, "again");
        body["params"]!["importImages"] = true;
        var added = await c2.CallAsync(HttpMethod.Post, storage.ApiPath, body);
        Assert.True(added.Status == HttpStatusCode.OK, added.ToString());
        var uuid = kept["uuid"]!.GetValue<string>();
        Assert.Equal([uuid], added.Json!["importedImageUuids"]!.AsArray().Select(u => u!.GetValue<string>()));
        var skipped = added.Json!["skippedImages"]!.AsArray();
        Assert.Equal(4, skipped.Count);
        Assert.Contains("does not exist", skipped[0]!["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("not the recorded 1", skipped[1]!["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("duplicate uuid", skipped[3]!["reason"]!.GetValue<string>(), StringComparison.Ordinal);

        var image = (await ImageKit.QueryAsync(c2, "q=uuid=" + uuid)).Single()!;
        Assert.Equal("Ready", image["status"]!.GetValue<string>());
        Assert.Equal("kept", image["name"]!.GetValue<string>());
        Assert.Equal(kept["md5Sum"]!.GetValue<string>(), image["md5Sum"]!.GetValue<string>());
        Assert.Equal(kept["actualSize"]!.GetValue<long>(), image["actualSize"]!.GetValue<long>());
        Assert.Equal(kept["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>(), image["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>());
        Assert.Single(await ImageKit.QueryAsync(c2));

        // The image deleted on the first server left its folder (policy Delay): trash for the admin, not an image.
        var trash = ZStackClient.Inventories(await c2.QueryAsync("/backup-storage/trash", "uuid=" + BsKit.Uuid(added)));
        Assert.Equal(deleted, trash.Single()!["resourceUuid"]!.GetValue<string>());
    }

    private static List<JsonNode> Lines(string file) =>
        [.. File.ReadAllLines(file).Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!)];
}
