using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.Images;

/// <summary>
/// The metadata object (<c>bs_image_info.json</c> at the location) of Swift and S3 follows the Ready copies, and
/// importImages on a fresh server registers what it lists, skipping lines whose object is gone; read and written
/// through the store's own API behind Stowage's back, as <see cref="ImageMetadataFileTests"/> does with files.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class ObjectStoreMetadataFileTests(StorageWorld world)
{
    [Theory]
    [MemberData(nameof(StorageWorld.ObjectStoreTypes), MemberType = typeof(StorageWorld))]
    public async Task Metadata_object_follows_adds_and_deletes_and_a_fresh_server_imports_it(string type)
    {
        var storage = world[type];
        await using var source = await HttpSource.StartAsync();
        var loc = storage.NewLocation();
        var file = loc.Url + "/bs_image_info.json";
        JsonNode kept;
        await using (var first = await StowageHost.StartAsync())
        {
            using var client = first.Client();
            await client.LoginAsync();
            var bs = await storage.AddOkAsync(client, loc);
            kept = await ImageKit.AddOkAsync(client, source.Add("a.qcow2", ImageKit.Qcow2()), [bs], "kept");
            var gone = await ImageKit.AddOkAsync(client, source.Add("b.raw", ImageKit.RandomBytes(300_000)), [bs], "gone", "DataVolumeTemplate");
            var deleted = gone["uuid"]!.GetValue<string>();
            Assert.Equal([kept["uuid"]!.GetValue<string>(), deleted], (await LinesAsync(storage, loc, file)).Select(l => l["uuid"]!.GetValue<string>()));

            Assert.Equal(HttpStatusCode.OK, (await client.CallAsync(HttpMethod.Delete, "/images/" + deleted)).Status);
            var lines = await LinesAsync(storage, loc, file);
            Assert.Equal([kept["uuid"]!.GetValue<string>()], lines.Select(l => l["uuid"]!.GetValue<string>()));
            Assert.Equal(kept["md5Sum"]!.GetValue<string>(), lines[0]["md5Sum"]!.GetValue<string>());
        }

        // Lines the import must skip: a copy whose object is gone, garbage, a duplicate.
        var keptLine = (await LinesAsync(storage, loc, file)).Single().ToJsonString();
        var missing = JsonNode.Parse(keptLine)!;
        missing["uuid"] = Guid.NewGuid().ToString("N");
        missing["backupStorageRefs"]![0]!["installPath"] = loc.Url + "/rootVolumeTemplates/acct-x/" + missing["uuid"] + "/nothing.template";
        await storage.PlantAsync(loc, file, Encoding.UTF8.GetBytes($"{keptLine}\n{missing.ToJsonString()}\nnot json\n{keptLine}\n"));

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
        Assert.Equal(3, skipped.Count);
        Assert.Contains("does not exist", skipped[0]!["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("duplicate uuid", skipped[2]!["reason"]!.GetValue<string>(), StringComparison.Ordinal);

        var image = (await ImageKit.QueryAsync(c2, "q=uuid=" + uuid)).Single()!;
        Assert.Equal("Ready", image["status"]!.GetValue<string>());
        Assert.Equal(kept["md5Sum"]!.GetValue<string>(), image["md5Sum"]!.GetValue<string>());
        Assert.Equal(kept["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>(), image["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>());
        Assert.Single(await ImageKit.QueryAsync(c2));
        Assert.Equal(BsKit.Uuid(added), image["backupStorageRefs"]![0]!["backupStorageUuid"]!.GetValue<string>());
    }

    private static async Task<List<JsonNode>> LinesAsync(IStorageTypeFixture storage, StorageLocation loc, string file) =>
        [.. Encoding.UTF8.GetString(await storage.ReadAsync(loc, file)).Split('\n').Where(l => l.Length > 0).Select(l => JsonNode.Parse(l)!)];
}
