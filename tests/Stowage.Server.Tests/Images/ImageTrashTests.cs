using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Images;

/// <summary>GetTrashOnBackupStorage and CleanUpTrashOnBackupStorage on real files (fake clock: no background sweep interferes).</summary>
[Collection(StorageCollection.Name)]
public sealed class ImageTrashTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Fact]
    public async Task Orphan_folder_and_stale_temporary_file_are_listed_then_cleaned_and_a_referenced_path_is_refused()
    {
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync(fakeClock: true);
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        var bs = await BsKit.AddOkAsync(client, sshd, url);
        var imageUrl = source.Add("disk.qcow2", ImageKit.Qcow2());
        var image = await ImageKit.AddOkAsync(client, imageUrl, [bs]);
        var installPath = image["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>();
        var imageFolder = Path.GetDirectoryName(installPath)!;
        var acct = Path.GetDirectoryName(imageFolder)!;

        var orphanUuid = Guid.NewGuid().ToString("N");
        var orphan = Path.Combine(acct, orphanUuid);
        CopyFolder(imageFolder, orphan);
        var staleUuid = Guid.NewGuid().ToString("N");
        var staleFolder = Path.Combine(acct, staleUuid);
        Directory.CreateDirectory(staleFolder);
        var stale = Path.Combine(staleFolder, "gone.template.stowage-part");
        await File.WriteAllBytesAsync(stale, new byte[12345]);
        File.SetLastWriteTimeUtc(stale, DateTime.UtcNow.AddDays(-1));
        Proc.Run("chown", "-R", $"{sshd.User}:", acct);

        var trash = await TrashAsync(client, bs);
        Assert.Equal(2, trash.Count);
        var folderItem = trash.Single(t => t!["trashType"]!.GetValue<string>() == "OrphanImage")!;
        Assert.Equal(orphan, folderItem["installPath"]!.GetValue<string>());
        Assert.True(folderItem["isFolder"]!.GetValue<bool>());
        Assert.Equal(orphanUuid, folderItem["resourceUuid"]!.GetValue<string>());
        Assert.Equal("ImageVO", folderItem["resourceType"]!.GetValue<string>());
        Assert.Equal(bs, folderItem["storageUuid"]!.GetValue<string>());
        Assert.Equal("SftpBackupStorage", folderItem["storageType"]!.GetValue<string>());
        Assert.Equal(new FileInfo(installPath).Length, folderItem["size"]!.GetValue<long>());
        var staleItem = trash.Single(t => t!["trashType"]!.GetValue<string>() == "StaleDownload")!;
        Assert.Equal(stale, staleItem["installPath"]!.GetValue<string>());
        Assert.Equal(12345, staleItem["size"]!.GetValue<long>());
        Assert.Single(await TrashAsync(client, bs, "trashType=StaleDownload"));
        Assert.Equal("SYS.1007", (await client.QueryAsync("/backup-storage/trash", "uuid=" + bs, "resourceUuid=" + orphanUuid)).ErrorCode);

        var all = await CleanAsync(client, bs, null);
        Assert.Equal(folderItem["size"]!.GetValue<long>() + 12345, all["result"]!["size"]!.GetValue<long>());
        Assert.All(all["results"]!.AsArray(), r => Assert.True(r!["success"]!.GetValue<bool>()));
        Assert.Equal(new[] { orphanUuid, staleUuid }.Order(), all["result"]!["resourceUuids"]!.AsArray().Select(u => u!.GetValue<string>()).Order());
        Assert.False(Directory.Exists(orphan));
        Assert.False(Directory.Exists(staleFolder));
        Assert.True(File.Exists(installPath));
        Assert.Empty(await TrashAsync(client, bs));
        await using (var db = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext())
        {
            var available = (await db.BackupStorages.SingleAsync(b => b.Uuid == bs)).AvailableCapacity;
            Assert.InRange(available, ImageKit.DfAvailable(url) - (64L << 20), ImageKit.DfAvailable(url) + (64L << 20));
        }

        // A trash id that matches nothing is a success of size 0, as in ZStack.
        var missing = await CleanAsync(client, bs, 42);
        Assert.Equal(42, missing["results"]![0]!["trashId"]!.GetValue<long>());
        Assert.True(missing["results"]![0]!["success"]!.GetValue<bool>());

        // An orphan that an image claims again (here: an image added with that uuid) is refused.
        CopyFolder(imageFolder, orphan);
        Proc.Run("chown", "-R", $"{sshd.User}:", orphan);
        var trashId = (await TrashAsync(client, bs)).Single()!["trashId"]!.GetValue<long>();
        var body = ImageKit.AddBody(imageUrl, [bs], "again");
        body["params"]!["resourceUuid"] = orphanUuid;
        Assert.Equal(HttpStatusCode.OK, (await client.CallAsync(HttpMethod.Post, "/images", body)).Status);
        var refused = await CleanAsync(client, bs, trashId);
        var result = refused["results"]!.AsArray().Single()!;
        Assert.False(result["success"]!.GetValue<bool>());
        Assert.Contains($"is still referenced by image[uuid:{orphanUuid}]", result["error"]!["details"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(0, refused["result"]!["size"]!.GetValue<long>());
        Assert.True(Directory.Exists(orphan));
    }

    [Theory]
    [MemberData(nameof(StorageWorld.Types), MemberType = typeof(StorageWorld))]
    public async Task Trash_of_a_disconnected_backup_storage_is_an_operation_error(string type)
    {
        var storage = world[type];
        await using var host = await StowageHost.StartAsync(fakeClock: true);
        using var client = host.Client();
        await client.LoginAsync();
        var loc = storage.NewLocation();
        var url = loc.LocalPath;
        var bs = await storage.AddOkAsync(client, loc);
        File.Delete(Path.Combine(url, ".stowage-backup-storage"));
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

    private static void CopyFolder(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from))
        {
            File.Copy(f, Path.Combine(to, Path.GetFileName(f)));
        }
    }
}
