using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.Protocol;
using Stowage.Sftp.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.Fidelity;

/// <summary>Issue 14 item 2: nested <c>schema</c> paths (as the Java SDK needs them for typed objects) and web-hook bodies equal to the poll.</summary>
[Collection(StorageCollection.Name)]
public sealed class SchemaTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task AddImage_QueryImage_and_trash_results_name_their_nested_classes_and_the_web_hook_gets_the_polled_body(Db db)
    {
        using var hook = new JobTests.HookReceiver();
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var url1 = sshd.NewPath();
        var url2 = sshd.NewPath();
        var bs1 = await BsKit.AddOkAsync(client, sshd, url1, "one");
        var bs2 = await BsKit.AddOkAsync(client, sshd, url2, "two");

        var job = Guid.NewGuid().ToString("N");
        var accepted = await client.SendAsync(HttpMethod.Post, "/images", ImageKit.AddBody(source.Add("a.raw", ImageKit.RandomBytes(1_100_000)), [bs1, bs2]),
            jobUuid: job, headers: new Dictionary<string, string> { ["X-Web-Hook"] = hook.Url });
        var call = await hook.NextAsync();
        var polled = await client.PollAsync(accepted);
        Assert.Equal(HttpStatusCode.OK, polled.Status);
        var schema = polled.Json!["schema"]!.AsObject();
        Assert.Equal("org.zstack.header.image.ImageInventory", schema["inventory"]!.GetValue<string>());
        Assert.Equal("org.zstack.header.image.ImageBackupStorageRefInventory", schema["inventory.backupStorageRefs[0]"]!.GetValue<string>());
        Assert.Equal("org.zstack.header.image.ImageBackupStorageRefInventory", schema["inventory.backupStorageRefs[1]"]!.GetValue<string>());
        Assert.Equal(3, schema.Count);
        Assert.Equal((job, "true"), (call.JobUuid, call.Success));
        Assert.Equal(polled.Body, call.Body);

        var query = await client.QueryAsync("/images");
        var qs = query.Json!["schema"]!.AsObject();
        Assert.Equal("org.zstack.header.image.ImageBackupStorageRefInventory", qs["inventories[0].backupStorageRefs[1]"]!.GetValue<string>());
        var keys = qs.Select(p => p.Key).ToList();
        Assert.True(keys.IndexOf("inventories[0]") < keys.IndexOf("inventories[0].backupStorageRefs[0]"), "parents come before their children");

        // A projection without backupStorageRefs names no path that is not in the body.
        var projected = await client.QueryAsync("/images", "fields=uuid,name");
        Assert.Equal(["inventories[0]"], projected.Json!["schema"]!.AsObject().Select(p => p.Key));

        // The trash clean-up results: result is a CleanTrashResult, each of results a TrashCleanupResult.
        var image = polled.Json!["inventory"]!;
        var folder = Path.GetDirectoryName(image["backupStorageRefs"]!.AsArray().Single(r => r!["backupStorageUuid"]!.GetValue<string>() == bs1)!["installPath"]!.GetValue<string>())!;
        var orphan = Path.Combine(Path.GetDirectoryName(folder)!, Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(orphan);
        await File.WriteAllBytesAsync(Path.Combine(orphan, "x.template"), new byte[4096]);
        Proc.Run("chown", "-R", $"{sshd.User}:", orphan);
        var clean = await client.CallAsync(HttpMethod.Put, $"/backup-storage/{bs1}/trash/actions", new JsonObject { ["cleanUpTrashOnBackupStorage"] = new JsonObject() });
        Assert.True(clean.Status == HttpStatusCode.OK, clean.ToString());
        var cs = clean.Json!["schema"]!.AsObject();
        Assert.Equal("org.zstack.header.core.trash.CleanTrashResult", cs["result"]!.GetValue<string>());
        Assert.Equal("org.zstack.header.core.trash.TrashCleanupResult", cs["results[0]"]!.GetValue<string>());
        Assert.False(Directory.Exists(orphan));
    }
}
