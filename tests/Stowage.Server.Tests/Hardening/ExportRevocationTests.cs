using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Hardening;

/// <summary>Issue 15 item 7: an export that expired, or whose image was deleted, is gone for good.</summary>
[Collection(StorageCollection.Name)]
public sealed class ExportRevocationTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task An_expired_export_stays_gone_when_the_expiration_time_is_raised(Db db)
    {
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var (bs, image) = await ImageAsync(client, source);
        using var http = new HttpClient();
        await ImageKit.SetConfigAsync(client, "backupStorage", "export.expirationTime", "2");
        var url = await ExportAsync(client, bs, image);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(url)).StatusCode);

        // Polled, not slept: the url goes when its 2 s are up, and a loaded machine gets 30 s for that.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        HttpStatusCode status;
        while ((status = (await http.GetAsync(url)).StatusCode) == HttpStatusCode.OK && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.Equal(HttpStatusCode.NotFound, status);
        await ImageKit.SetConfigAsync(client, "backupStorage", "export.expirationTime", "86400");
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(url)).StatusCode);

        // An export made after the raise lives by the new value.
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(await ExportAsync(client, bs, image))).StatusCode);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task The_exports_of_a_deleted_image_stay_gone_after_RecoverImage(Db db)
    {
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var (bs, image) = await ImageAsync(client, source);
        using var http = new HttpClient();
        var url = await ExportAsync(client, bs, image);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(url)).StatusCode);

        Assert.Equal(HttpStatusCode.OK, (await client.CallAsync(HttpMethod.Delete, $"/images/{image}")).Status);
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(url)).StatusCode);
        var recovered = await BsKit.ActionAsync(client, $"/images/{image}/actions", "recoverImage", new JsonObject { ["backupStorageUuids"] = new JsonArray(bs) });
        Assert.True(recovered.Status == HttpStatusCode.OK, recovered.ToString());
        Assert.Equal("Ready", (await ImageKit.QueryAsync(client, $"q=uuid={image}")).Single()!["status"]!.GetValue<string>());
        Assert.Equal(HttpStatusCode.NotFound, (await http.GetAsync(url)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await http.GetAsync(await ExportAsync(client, bs, image))).StatusCode);
    }

    private async Task<(string Bs, string Image)> ImageAsync(ZStackClient client, HttpSource source)
    {
        var bs = await BsKit.AddOkAsync(client, sshd, sshd.NewPath());
        var image = await ImageKit.AddOkAsync(client, source.Add("exp.raw", ImageKit.RandomBytes(200_000)), [bs]);
        return (bs, image["uuid"]!.GetValue<string>());
    }

    private static async Task<string> ExportAsync(ZStackClient client, string bs, string image)
    {
        var r = await BsKit.ActionAsync(client, $"/backup-storage/{bs}/actions", "exportImageFromBackupStorage", new JsonObject { ["imageUuid"] = image });
        Assert.True(r.Status == HttpStatusCode.OK, r.ToString());
        return r.Json!["imageUrl"]!.GetValue<string>();
    }
}
