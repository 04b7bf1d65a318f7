using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.Protocol;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.Images;

/// <summary>GetTrashOnBackupStorage, CleanUpTrashOnBackupStorage and the sweeper on every type (fake clock: no background sweep interferes until the test moves it).</summary>
[Collection(StorageCollection.Name)]
public sealed class ImageTrashTests(StorageWorld world)
{
    /// <summary>
    /// On every type: an orphan image folder and the leftover of an interrupted write (a <c>.stowage-part</c> file on a disk;
    /// segments no manifest names on Swift, an incomplete multipart upload on S3) are listed, cleaned, a path an image claims
    /// again is refused, and the sweeper's round removes a leftover by itself while it leaves complete files for the admin.
    /// </summary>
    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task Orphan_folder_and_stale_temporary_file_are_listed_then_cleaned_and_a_referenced_path_is_refused(string type)
    {
        var storage = world[type];
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync(fakeClock: true);
        using var client = host.Client();
        await client.LoginAsync();
        var (bs, loc) = await storage.AddNewAsync(client);
        var local = loc.LocalPath.Length > 0;
        var imageUrl = source.Add("disk.qcow2", ImageKit.Qcow2());
        var image = await ImageKit.AddOkAsync(client, imageUrl, [bs]);
        var installPath = image["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>();
        var imageFolder = Parent(installPath);
        var acct = Parent(imageFolder);
        var imageSize = (await storage.ReadAsync(loc, installPath)).LongLength;

        // A reconnect measures the capacity with everything Stowage wrote (the metadata file is written after the add measured it).
        Wire.AssertOk(await BsKit.ActionAsync(client, $"/backup-storage/{bs}/actions", "reconnectBackupStorage"));
        var availableBefore = await AvailableAsync(host, bs);

        var orphanUuid = Guid.NewGuid().ToString("N");
        var orphan = acct + "/" + orphanUuid;
        await CopyFolderAsync(storage, loc, imageFolder, orphan);
        var staleUuid = Guid.NewGuid().ToString("N");
        var staleFolder = acct + "/" + staleUuid;
        var stale = staleFolder + "/gone.template.stowage-part";
        await storage.PlantLeftoverAsync(loc, staleFolder + "/gone.template", new byte[12345]);
        if (local)
        {
            File.SetLastWriteTimeUtc(loc.Local(stale), DateTime.UtcNow.AddDays(-1));
        }

        var trash = await TrashAsync(client, bs);
        Assert.Equal(2, trash.Count);
        var folderItem = trash.Single(t => t!["trashType"]!.GetValue<string>() == "OrphanImage")!;
        Assert.Equal(orphan, folderItem["installPath"]!.GetValue<string>());
        Assert.True(folderItem["isFolder"]!.GetValue<bool>());
        Assert.Equal(orphanUuid, folderItem["resourceUuid"]!.GetValue<string>());
        Assert.Equal("ImageVO", folderItem["resourceType"]!.GetValue<string>());
        Assert.Equal(bs, folderItem["storageUuid"]!.GetValue<string>());
        Assert.Equal(type, folderItem["storageType"]!.GetValue<string>());
        Assert.Equal(imageSize, folderItem["size"]!.GetValue<long>());
        var staleItem = trash.Single(t => t!["trashType"]!.GetValue<string>() == "StaleDownload")!;
        Assert.Equal(stale, staleItem["installPath"]!.GetValue<string>());
        Assert.Equal(12345, staleItem["size"]!.GetValue<long>());
        Assert.Single(await TrashAsync(client, bs, "trashType=StaleDownload"));
        Assert.Equal("SYS.1007", (await client.QueryAsync("/backup-storage/trash", "uuid=" + bs, "resourceUuid=" + orphanUuid)).ErrorCode);

        var all = await CleanAsync(client, bs, null);
        Assert.Equal(folderItem["size"]!.GetValue<long>() + 12345, all["result"]!["size"]!.GetValue<long>());
        Assert.All(all["results"]!.AsArray(), r => Assert.True(r!["success"]!.GetValue<bool>()));
        Assert.Equal(new[] { orphanUuid, staleUuid }.Order(), all["result"]!["resourceUuids"]!.AsArray().Select(u => u!.GetValue<string>()).Order());
        Assert.Equal([installPath], await storage.FilesAsync(loc));
        if (local)
        {
            Assert.False(Directory.Exists(loc.Local(orphan)));
            Assert.False(Directory.Exists(loc.Local(staleFolder)));
        }

        Assert.Empty(await TrashAsync(client, bs));
        var available = await AvailableAsync(host, bs);
        if (local)
        {
            Assert.InRange(available, ImageKit.DfAvailable(loc.LocalPath) - (64L << 20), ImageKit.DfAvailable(loc.LocalPath) + (64L << 20));
        }
        else
        {
            // An object store counts what it holds: with the trash gone it holds what it held before the trash was planted.
            Assert.Equal(availableBefore, available);
        }

        // A trash id that matches nothing is a success of size 0, as in ZStack.
        var missing = await CleanAsync(client, bs, 42);
        Assert.Equal(42, missing["results"]![0]!["trashId"]!.GetValue<long>());
        Assert.True(missing["results"]![0]!["success"]!.GetValue<bool>());

        // An orphan that an image claims again (here: an image added with that uuid) is refused.
        await CopyFolderAsync(storage, loc, imageFolder, orphan);
        var trashId = (await TrashAsync(client, bs)).Single()!["trashId"]!.GetValue<long>();
        var body = ImageKit.AddBody(imageUrl, [bs], "again");
        body["params"]!["resourceUuid"] = orphanUuid;
        Assert.Equal(HttpStatusCode.OK, (await client.CallAsync(HttpMethod.Post, "/images", body)).Status);
        var refused = await CleanAsync(client, bs, trashId);
        var result = refused["results"]!.AsArray().Single()!;
        Assert.False(result["success"]!.GetValue<bool>());
        Assert.Contains($"is still referenced by image[uuid:{orphanUuid}]", result["error"]!["details"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, refused["result"]!["size"]!.GetValue<long>());
        var copied = orphan + "/" + installPath[(imageFolder.Length + 1)..];
        Assert.Contains(copied, await storage.FilesAsync(loc));

        // The sweeper's round (due when the clock moves past its first tick) removes leftovers at once, in a folder of their
        // own and beside a Ready image (an interrupted rewrite of its key), and leaves complete files for the admin.
        var kept = (await storage.FilesAsync(loc)).Order().ToList();
        var imageBytes = await storage.ReadAsync(loc, installPath);
        await storage.PlantLeftoverAsync(loc, staleFolder + "/gone.template", new byte[12345]);
        await storage.PlantLeftoverAsync(loc, installPath, new byte[4321]);
        Assert.Equal(
            new[] { installPath + ".stowage-part", stale }.Order(),
            (await TrashAsync(client, bs, "trashType=StaleDownload")).Select(t => t!["installPath"]!.GetValue<string>()).Order());
        host.Clock!.Advance(TimeSpan.FromSeconds(16));
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(await storage.FilesAsync(loc)).Order().SequenceEqual(kept))
        {
            Assert.True(DateTime.UtcNow < deadline, "the sweeper did not remove the leftovers");
            await Task.Delay(50);
        }

        Assert.Empty(await TrashAsync(client, bs, "trashType=StaleDownload"));
        Assert.Contains(copied, kept);
        Assert.Equal(imageBytes, await storage.ReadAsync(loc, installPath));
    }

    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task Trash_of_a_disconnected_backup_storage_is_an_operation_error(string type)
    {
        var storage = world[type];
        await using var host = await StowageHost.StartAsync(fakeClock: true);
        using var client = host.Client();
        await client.LoginAsync();
        var loc = storage.NewLocation();
        var bs = await storage.AddOkAsync(client, loc);
        await storage.DeleteAsync(loc, loc.Url + "/.stowage-backup-storage");
        await BsKit.ActionAsync(client, $"/backup-storage/{bs}/actions", "reconnectBackupStorage");
        Assert.Equal("SYS.1006", (await client.QueryAsync("/backup-storage/trash", "uuid=" + bs)).ErrorCode);
        Assert.Equal("SYS.1006", (await client.CallAsync(HttpMethod.Put, $"/backup-storage/{bs}/trash/actions", new JsonObject { ["cleanUpTrashOnBackupStorage"] = new JsonObject() })).ErrorCode);
    }

    private static async Task<JsonArray> TrashAsync(ZStackClient client, string bs, params string[] more)
    {
        var r = await client.QueryAsync("/backup-storage/trash", ["uuid=" + bs, .. more]);
        Assert.True(r.Status == HttpStatusCode.OK, r.ToString());
        return ZStackClient.Inventories(r);
    }

    private static async Task<JsonNode> CleanAsync(ZStackClient client, string bs, long? trashId)
    {
        var args = new JsonObject();
        if (trashId is { } id)
        {
            args["trashId"] = id;
        }

        var r = await client.CallAsync(HttpMethod.Put, $"/backup-storage/{bs}/trash/actions", new JsonObject { ["cleanUpTrashOnBackupStorage"] = args });
        Assert.True(r.Status == HttpStatusCode.OK, r.ToString());
        return r.Json!;
    }

    private static string Parent(string path) => path[..path.LastIndexOf('/')];

    private static async Task<long> AvailableAsync(StowageHost host, string bs)
    {
        await using var db = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        return (await db.BackupStorages.SingleAsync(b => b.Uuid == bs)).AvailableCapacity;
    }

    /// <summary>Copies the files of an image folder to another folder, behind Stowage's back (as the storage's owner would).</summary>
    private static async Task CopyFolderAsync(IStorageTypeFixture storage, StorageLocation loc, string from, string to)
    {
        foreach (var f in (await storage.FilesAsync(loc)).Where(f => f.StartsWith(from + "/", StringComparison.Ordinal)))
        {
            await storage.PlantAsync(loc, to + f[from.Length..], await storage.ReadAsync(loc, f));
        }
    }
}
