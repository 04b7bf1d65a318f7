using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.Export;

[Collection(StorageCollection.Name)]
public sealed class ExportDownloadTests(StorageWorld world)
{
    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task Export_serves_the_whole_file_ranges_and_head_with_digests(string type)
    {
        await using var w = await ExportWorld.StartAsync(world[type]);
        var r = await w.ExportAsync();
        Assert.True(r.Status == HttpStatusCode.OK, r.ToString());
        var url = r.Json!["imageUrl"]!.GetValue<string>();
        Assert.Equal(ImageKit.Md5(w.Content), r.Json!["exportMd5Sum"]!.GetValue<string>());
        Assert.Matches("/zstack/v1/exports/[A-Za-z0-9_-]{43}/", url);

        using var full = await w.GetAsync(url);
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        var body = await full.Content.ReadAsByteArrayAsync();
        Assert.Equal(ImageKit.Sha256(w.Content), ImageKit.Sha256(body));

        using var first = await w.GetAsync(url, "bytes=0-999999");
        using var rest = await w.GetAsync(url, "bytes=1000000-");
        Assert.Equal(HttpStatusCode.PartialContent, first.StatusCode);
        Assert.Equal($"bytes 1000000-{w.Content.Length - 1}/{w.Content.Length}", rest.Content.Headers.ContentRange!.ToString());
        byte[] joined = [.. await first.Content.ReadAsByteArrayAsync(), .. await rest.Content.ReadAsByteArrayAsync()];
        Assert.Equal(ImageKit.Sha256(w.Content), ImageKit.Sha256(joined));
        using var suffix = await w.GetAsync(url, "bytes=-10");
        Assert.Equal(w.Content[^10..], await suffix.Content.ReadAsByteArrayAsync());
        using var outside = await w.GetAsync(url, $"bytes={w.Content.Length}-");
        Assert.Equal(HttpStatusCode.RequestedRangeNotSatisfiable, outside.StatusCode);
        Assert.Equal($"bytes */{w.Content.Length}", outside.Content.Headers.ContentRange!.ToString());
        Assert.Contains("\"code\":\"SYS.1007\"", await outside.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        using var head = await w.GetAsync(url, method: HttpMethod.Head);
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(w.Content.Length, head.Content.Headers.ContentLength);
        Assert.Equal($"\"{ImageKit.Sha256(w.Content)}\"", head.Headers.ETag!.ToString());
        Assert.Equal("bytes", string.Join(",", head.Headers.AcceptRanges));
        var sha = Convert.ToBase64String(SHA256.HashData(w.Content));
        var md5 = Convert.ToBase64String(Convert.FromHexString(ImageKit.Md5(w.Content)));
        Assert.Equal($"sha-256={sha},md5={md5}", head.Headers.GetValues("Digest").Single());
        Assert.Equal($"sha-256=:{sha}:, md5=:{md5}:", head.Headers.GetValues("Repr-Digest").Single());
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());

        // The ref shows that an export exists, never the token.
        var refInv = (await ImageKit.QueryAsync(w.Client)).Single()!["backupStorageRefs"]![0]!;
        Assert.Contains("/exports/***/", refInv["exportUrl"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.DoesNotContain(url.Split('/')[^2], refInv["exportUrl"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task Export_url_stops_working_when_deleted_expired_or_the_image_is_deleted(string type)
    {
        await using var w = await ExportWorld.StartAsync(world[type], 200_000);
        var deleted = await w.ExportOkAsync();
        var kept = await w.ExportOkAsync();
        Assert.NotEqual(deleted, kept);
        using (var wrongName = await w.GetAsync(kept[..kept.LastIndexOf('/')] + "/other.raw"))
        {
            Assert.Equal(HttpStatusCode.NotFound, wrongName.StatusCode);
        }

        Assert.Equal(HttpStatusCode.OK, (await w.Client.CallAsync(HttpMethod.Delete, $"/backup-storage/{w.Bs}/exported-images/{w.Image}")).Status);
        using (var gone = await w.GetAsync(deleted))
        {
            Assert.Equal(HttpStatusCode.NotFound, gone.StatusCode);
            Assert.Contains("\"code\":\"SYS.1003\"", await gone.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Null((await ImageKit.QueryAsync(w.Client)).Single()!["backupStorageRefs"]![0]!["exportUrl"]);
        Assert.Equal(HttpStatusCode.OK, (await w.Client.CallAsync(HttpMethod.Delete, $"/backup-storage/{w.Bs}/exported-images/{w.Image}")).Status);

        var expiring = await w.ExportOkAsync();
        using (var ok = await w.GetAsync(expiring, method: HttpMethod.Head))
        {
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
        }

        await ImageKit.SetConfigAsync(w.Client, "backupStorage", "export.expirationTime", "1");
        await Task.Delay(1100);
        using (var expired = await w.GetAsync(expiring))
        {
            Assert.Equal(HttpStatusCode.NotFound, expired.StatusCode);
        }

        await ImageKit.SetConfigAsync(w.Client, "backupStorage", "export.expirationTime", "86400");
        var last = await w.ExportOkAsync();
        Assert.Equal(HttpStatusCode.OK, (await w.Client.CallAsync(HttpMethod.Delete, $"/images/{w.Image}")).Status);
        using var afterDelete = await w.GetAsync(last);
        Assert.Equal(HttpStatusCode.NotFound, afterDelete.StatusCode);
        Assert.Equal("SYS.1006", (await w.ExportAsync()).ErrorCode);
    }

    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task Disabled_or_disconnected_backup_storage_refuses_export_and_downloads_answer_503(string type)
    {
        await using var w = await ExportWorld.StartAsync(world[type], 100_000);
        var url = await w.ExportOkAsync();
        Assert.Equal("SYS.1007", (await w.ExportAsync("qcow2")).ErrorCode);

        await BsKit.ActionAsync(w.Client, $"/backup-storage/{w.Bs}/actions", "changeBackupStorageState", new JsonObject { ["stateEvent"] = "disable" });
        var disabled = await w.ExportAsync();
        Assert.Equal("SYS.1006", disabled.ErrorCode);
        Assert.Contains("state is Disabled", disabled.Body, StringComparison.Ordinal);
        await BsKit.ActionAsync(w.Client, $"/backup-storage/{w.Bs}/actions", "changeBackupStorageState", new JsonObject { ["stateEvent"] = "enable" });

        await w.SetStatusAsync("Disconnected");
        var refused = await w.ExportAsync();
        Assert.Equal("SYS.1006", refused.ErrorCode);
        Assert.Contains("status is Disconnected", refused.Body, StringComparison.Ordinal);
        using (var unavailable = await w.GetAsync(url))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, unavailable.StatusCode);
            Assert.Contains("\"code\":\"SYS.1006\"", await unavailable.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await w.SetStatusAsync("Connected");
        using var back = await w.GetAsync(url);
        Assert.Equal(ImageKit.Sha256(w.Content), ImageKit.Sha256(await back.Content.ReadAsByteArrayAsync()));
        using var junk = await w.GetAsync(url[..url.IndexOf("/exports/", StringComparison.Ordinal)] + "/exports/short/x.raw");
        Assert.Equal(HttpStatusCode.NotFound, junk.StatusCode);
        Assert.Equal("SYS.1007", (await w.Client.CallAsync(HttpMethod.Put, $"/backup-storage/{w.Bs}/actions", new JsonObject { ["exportImageFromBackupStorage"] = new JsonObject() })).ErrorCode);
    }
}
