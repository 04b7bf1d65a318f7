using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.Export;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.BackupStorage;

/// <summary>
/// The Swift and S3 types through the REST API against the run's real Swift: add, inventory (no secret), query,
/// verified update, reconnect, delete; an image streamed in from an http source and exported; uploads refused.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class ObjectStoreBackupStorageTests(StorageWorld world)
{
    [Theory]
    [MemberData(nameof(StorageWorld.ObjectStoreTypes), MemberType = typeof(StorageWorld))]
    public async Task Add_query_update_reconnect_and_delete_never_show_the_secret(string type)
    {
        var storage = world[type];
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var location = storage.NewLocation();
        var added = await storage.AddAsync(client, location, "os1");
        Assert.True(added.Status == HttpStatusCode.OK, added.ToString());
        Assert.DoesNotContain("testing", added.Body, StringComparison.Ordinal);
        var inv = added.Json!["inventory"]!;
        var uuid = inv["uuid"]!.GetValue<string>();
        Assert.Equal(type, inv["type"]!.GetValue<string>());
        Assert.Equal("Connected", inv["status"]!.GetValue<string>());
        Assert.Equal(location.Url, inv["url"]!.GetValue<string>());
        Assert.Equal(10L << 30, inv["totalCapacity"]!.GetValue<long>());

        var ofType = await client.QueryAsync(storage.ApiPath, "q=uuid=" + uuid);
        Assert.Equal(storage.InventoryClass, ofType.Json!["schema"]!["inventories[0]"]!.GetValue<string>());
        var row = Assert.Single(ZStackClient.Inventories(ofType))!;
        Assert.Equal("test:tester", row[type == SwiftStorageFixture.TypeName ? "username" : "accessKey"]!.GetValue<string>());
        Assert.DoesNotContain("testing", ofType.Body, StringComparison.Ordinal);

        // The same container (bucket) and prefix again: the marker is there, so it is refused and nothing is left.
        var again = await storage.AddAsync(client, location, "os2");
        Assert.NotEqual(HttpStatusCode.OK, again.Status);
        Assert.Equal(1, await BsKit.CountAsync(client));

        // A wrong secret in an update is tried first and changes nothing.
        var action = UpdateAction(type);
        var secretName = type == SwiftStorageFixture.TypeName ? "password" : "secretKey";
        var wrong = await BsKit.ActionAsync(client, $"{storage.ApiPath}/{uuid}/actions", action, new JsonObject { [secretName] = "wrong-secret", ["name"] = "renamed" });
        Assert.NotEqual(HttpStatusCode.OK, wrong.Status);
        Assert.Equal("os1", (await BsKit.GetAsync(client, uuid))["name"]!.GetValue<string>());
        var capacity = await BsKit.ActionAsync(client, $"{storage.ApiPath}/{uuid}/actions", action, new JsonObject { ["totalCapacity"] = 5L << 30, ["name"] = "renamed" });
        Assert.True(capacity.Status == HttpStatusCode.OK, capacity.ToString());
        Assert.Equal(5L << 30, capacity.Json!["inventory"]!["totalCapacity"]!.GetValue<long>());
        Assert.Equal("renamed", capacity.Json!["inventory"]!["name"]!.GetValue<string>());

        var reconnect = await BsKit.ActionAsync(client, $"{storage.ApiPath}/{uuid}/actions", "reconnect" + type, new JsonObject());
        Assert.True(reconnect.Status == HttpStatusCode.OK, reconnect.ToString());
        Assert.Equal("Connected", reconnect.Json!["inventory"]!["status"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.OK, (await client.CallAsync(HttpMethod.Delete, $"/backup-storage/{uuid}")).Status);
        Assert.Equal(0, await BsKit.CountAsync(client));

        // The marker went with the delete: the same location can be added again.
        Assert.Equal(HttpStatusCode.OK, (await storage.AddAsync(client, location, "os3")).Status);
    }

    [Theory]
    [MemberData(nameof(StorageWorld.ObjectStoreTypes), MemberType = typeof(StorageWorld))]
    public async Task Wrong_credentials_and_bad_urls_are_refused_and_leave_nothing(string type)
    {
        var storage = world[type];
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var secretName = type == SwiftStorageFixture.TypeName ? "password" : "secretKey";
        var body = storage.AddParams(storage.NewLocation(), "bad");
        body[secretName] = "wrong-secret";
        var wrong = await client.CallAsync(HttpMethod.Post, storage.ApiPath, new JsonObject { ["params"] = body });
        Assert.NotEqual(HttpStatusCode.OK, wrong.Status);
        Assert.NotNull(wrong.ErrorCode);
        Assert.DoesNotContain("wrong-secret", wrong.Body, StringComparison.Ordinal);

        foreach (var url in new[] { "/", "c/../x", "c//p", type == SwiftStorageFixture.TypeName ? new string('c', 300) : "Not_A_Bucket" })
        {
            var bad = storage.AddParams(storage.NewLocation(), "bad");
            bad["url"] = url;
            Assert.Equal("SYS.1007", (await client.CallAsync(HttpMethod.Post, storage.ApiPath, new JsonObject { ["params"] = bad })).ErrorCode);
        }

        var badEndpoint = storage.AddParams(storage.NewLocation(), "bad");
        badEndpoint[type == SwiftStorageFixture.TypeName ? "authUrl" : "endpoint"] = "file:///etc/passwd";
        Assert.Equal("SYS.1007", (await client.CallAsync(HttpMethod.Post, storage.ApiPath, new JsonObject { ["params"] = badEndpoint })).ErrorCode);
        Assert.Equal(0, await BsKit.CountAsync(client));
    }

    [Theory]
    [MemberData(nameof(StorageWorld.ObjectStoreTypes), MemberType = typeof(StorageWorld))]
    public async Task An_image_streamed_in_is_exported_byte_exact_through_a_store_signed_redirect(string type)
    {
        await using var w = await ExportWorld.StartAsync(world[type], size: 6_000_000);
        var url = await w.ExportOkAsync();
        using var full = await w.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        Assert.Equal(ImageKit.Sha256(w.Content), ImageKit.Sha256(await full.Content.ReadAsByteArrayAsync()));
        using var tail = await w.GetAsync(url, "bytes=5000000-");
        Assert.Equal(HttpStatusCode.PartialContent, tail.StatusCode);
        Assert.Equal(w.Content[5_000_000..], await tail.Content.ReadAsByteArrayAsync());

        // The bytes come from the store: Stowage checks the token and answers with a short-lived signed URL.
        using var direct = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false });
        using (var redirect = await direct.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.Redirect, redirect.StatusCode);
            var location = redirect.Headers.Location!;
            Assert.NotEqual(new Uri(url).Port, location.Port);
            Assert.DoesNotContain("/zstack/", location.AbsolutePath, StringComparison.Ordinal);
            Assert.Equal(w.Content, await direct.GetByteArrayAsync(location));
        }

        // For stores the hypervisors cannot reach, Stowage serves the bytes itself.
        await ImageKit.SetConfigAsync(w.Client, "backupStorage", "export.proxyObjectStore", "true");
        using (var proxied = await direct.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.OK, proxied.StatusCode);
            Assert.Equal(w.Content, await proxied.Content.ReadAsByteArrayAsync());
        }

        await ImageKit.SetConfigAsync(w.Client, "backupStorage", "export.proxyObjectStore", "false");

        // Revoked at Stowage means no new signed URL: the export URL answers 404 once the export is deleted.
        Assert.Equal(HttpStatusCode.OK, (await w.Client.CallAsync(HttpMethod.Delete, $"/backup-storage/{w.Bs}/exported-images/{w.Image}")).Status);
        using (var revoked = await direct.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.NotFound, revoked.StatusCode);
        }
    }

    private static string UpdateAction(string type) => "update" + type;
}
