using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Storage;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.Images;

/// <summary>AddImage with upload://: the upload url, whole and resumed PUTs, errors, expiry and deletion.</summary>
[Collection(StorageCollection.Name)]
public sealed class ImageUploadTests(StorageWorld world)
{
    [Theory]
    [MemberData(nameof(StorageWorld.AllTypesOnBothDatabases), MemberType = typeof(StorageWorld))]
    public async Task Single_put_completes_the_image_with_checked_sums(string type, Db db)
    {
        var storage = world[type];
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var loc = storage.NewLocation();
        var url = loc.LocalPath;
        var bs = await storage.AddOkAsync(client, loc);
        var content = ImageKit.Qcow2();
        var (image, uploadUrl) = await StartAsync(client, bs, "upload://centos.qcow2", ["checksum::sha256::" + ImageKit.Sha256(content), "checksum::md5::" + ImageKit.Md5(content)]);
        Assert.Equal("Downloading", image["status"]!.GetValue<string>());
        Assert.Equal("upload://centos.qcow2", image["url"]!.GetValue<string>());
        Assert.StartsWith(host.BaseAddress.ToString().TrimEnd('/') + "/zstack/v1/image-uploads/", uploadUrl, StringComparison.Ordinal);
        Assert.DoesNotContain("uploadUrl", (await client.QueryAsync("/images")).Body, StringComparison.Ordinal);
        Assert.DoesNotContain(uploadUrl[(uploadUrl.LastIndexOf('/') + 1)..], await AllUploadRowsAsync(host), StringComparison.Ordinal);

        using var http = new HttpClient();
        using var done = await http.PutAsync(uploadUrl, new ByteArrayContent(content));
        var body = await done.Content.ReadAsStringAsync();
        Assert.True(done.StatusCode == HttpStatusCode.OK, body);
        var ready = JsonNode.Parse(body)!["inventory"]!;
        Assert.Equal("Ready", ready["status"]!.GetValue<string>());
        Assert.Equal("qcow2", ready["format"]!.GetValue<string>());
        Assert.Equal(64L * 1024 * 1024, ready["size"]!.GetValue<long>());
        Assert.Equal(ImageKit.Md5(content), ready["md5Sum"]!.GetValue<string>());
        Assert.Equal(ImageKit.Sha256(content), ready["sha256Sum"]!.GetValue<string>());
        var copy = ready["backupStorageRefs"]![0]!;
        Assert.Equal("Ready", copy["status"]!.GetValue<string>());
        var path = copy["installPath"]!.GetValue<string>();
        Assert.EndsWith("/centos.template", path, StringComparison.Ordinal);
        Assert.Equal(content, await storage.ReadAsync(loc, path));
        if (storage.HasFileModes)
        {
            Assert.Equal("444", ImageKit.Mode(loc.Local(path)));
        }

        Assert.Equal([path], await storage.FilesAsync(loc));
        await SourceKit.NoReservationAsync(host, url, bs);
        Assert.Equal("", await AllUploadRowsAsync(host));

        // A finished upload url is gone.
        using var again = await http.PutAsync(uploadUrl, new ByteArrayContent(content));
        Assert.Equal(HttpStatusCode.NotFound, again.StatusCode);
        Assert.Equal("SYS.1003", JsonNode.Parse(await again.Content.ReadAsStringAsync())!["error"]!["code"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task Resumed_upload_in_two_pieces_reserves_the_total_and_reports_progress(string type)
    {
        var storage = world[type];
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var loc = storage.NewLocation();
        var url = loc.LocalPath;
        var bs = await storage.AddOkAsync(client, loc);
        var content = ImageKit.RandomBytes(3_000_000);
        var (_, uploadUrl) = await StartAsync(client, bs, "upload://disk.raw", ["checksum::sha256::" + ImageKit.Sha256(content)]);
        using var http = new HttpClient();

        using (var first = await http.PutAsync(uploadUrl, Piece(content, 0, 1_000_000)))
        {
            Assert.Equal(HttpStatusCode.PermanentRedirect, first.StatusCode);
            Assert.Equal("bytes=0-999999", first.Headers.GetValues("Range").Single());
            Assert.Equal("1000000", first.Headers.GetValues("Upload-Offset").Single());
            Assert.Equal("3000000", first.Headers.GetValues("Upload-Length").Single());
        }

        using (var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, uploadUrl)))
        {
            Assert.Equal(HttpStatusCode.OK, head.StatusCode);
            Assert.Equal("1000000", head.Headers.GetValues("Upload-Offset").Single());
        }

        var progress = JsonNode.Parse(await http.GetStringAsync(uploadUrl))!;
        Assert.Equal(1_000_000, progress["uploadedBytes"]!.GetValue<long>());
        Assert.Equal(3_000_000, progress["totalBytes"]!.GetValue<long>());
        Assert.Equal(3_000_000, await ReservedAsync(host));
        Assert.Equal("Downloading", (await ImageKit.QueryAsync(client)).Single()!["status"]!.GetValue<string>());
        var partial = Assert.Single(await storage.FilesAsync(loc));
        Assert.EndsWith(".stowage-upload", partial, StringComparison.Ordinal);

        // Bad pieces: the wrong start and a different total are 416, a malformed range 400; nothing changes.
        await ExpectErrorAsync(await http.PutAsync(uploadUrl, Piece(content, 2_000_000, 3_000_000)), HttpStatusCode.RequestedRangeNotSatisfiable, "SYS.1007", "continue at byte 1000000");
        var wrongTotal = Piece(content, 1_000_000, 2_000_000);
        wrongTotal.Headers.ContentRange = new ContentRangeHeaderValue(1_000_000, 1_999_999, 5_000_000);
        await ExpectErrorAsync(await http.PutAsync(uploadUrl, wrongTotal), HttpStatusCode.RequestedRangeNotSatisfiable, "SYS.1007", "not 5000000");
        var malformed = new ByteArrayContent(new byte[10]);
        malformed.Headers.TryAddWithoutValidation("Content-Range", "bytes 5-1/3");
        await ExpectErrorAsync(await http.PutAsync(uploadUrl, malformed), HttpStatusCode.BadRequest, "SYS.1007", "Content-Range");
        Assert.Equal(1_000_000, JsonNode.Parse(await http.GetStringAsync(uploadUrl))!["uploadedBytes"]!.GetValue<long>());
        if (storage.HasFileModes)
        {
            Assert.Equal(1_000_000, new FileInfo(loc.Local(partial)).Length);
        }

        using var last = await http.PutAsync(uploadUrl, Piece(content, 1_000_000, 3_000_000));
        var body = await last.Content.ReadAsStringAsync();
        Assert.True(last.StatusCode == HttpStatusCode.OK, body);
        var ready = JsonNode.Parse(body)!["inventory"]!;
        Assert.Equal("Ready", ready["status"]!.GetValue<string>());
        Assert.Equal(ImageKit.Sha256(content), ready["sha256Sum"]!.GetValue<string>());
        var path = ready["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>();
        Assert.Equal(content, await storage.ReadAsync(loc, path));
        Assert.Equal([path], await storage.FilesAsync(loc));
        await SourceKit.NoReservationAsync(host, url, bs);
    }

    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task Unknown_token_checksum_mismatch_and_expiry_answer_envelopes_and_leave_nothing(string type)
    {
        var storage = world[type];
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var loc = storage.NewLocation();
        var url = loc.LocalPath;
        var bs = await storage.AddOkAsync(client, loc);
        using var http = new HttpClient();
        var unknown = new Uri(host.BaseAddress, "/zstack/v1/image-uploads/" + new string('x', 43)).ToString();
        await ExpectErrorAsync(await http.PutAsync(unknown, new ByteArrayContent([1, 2, 3])), HttpStatusCode.NotFound, "SYS.1003", "no upload at this url");
        await ExpectErrorAsync(await http.GetAsync(unknown), HttpStatusCode.NotFound, "SYS.1003", "no upload at this url");

        var content = ImageKit.RandomBytes(500_000);
        var (_, badSum) = await StartAsync(client, bs, "upload://bad.raw", ["checksum::sha256::" + new string('0', 64)]);
        await ExpectErrorAsync(await http.PutAsync(badSum, new ByteArrayContent(content)), HttpStatusCode.BadRequest, "SYS.1002", "sha256 checksum mismatch");
        Assert.Empty(await ImageKit.QueryAsync(client));
        Assert.Empty(await storage.FilesAsync(loc));
        await SourceKit.NoReservationAsync(host, url, bs);

        // Two backup storages cannot share one upload.
        var two = await ImageKit.AddAsync(client, "upload://x.raw", [bs, await storage.AddOkAsync(client, storage.NewLocation(), "bs2")]);
        Assert.Equal("SYS.1007", two.ErrorCode);

        await ImageKit.SetConfigAsync(client, "image", "upload.timeout", "2");
        var (_, expiring) = await StartAsync(client, bs, "upload://late.raw", null);
        using (var first = await http.PutAsync(expiring, Piece(content, 0, 100_000)))
        {
            Assert.Equal(HttpStatusCode.PermanentRedirect, first.StatusCode);
        }

        Assert.Single(await storage.FilesAsync(loc));
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        await ExpectErrorAsync(await http.PutAsync(expiring, Piece(content, 100_000, 500_000)), HttpStatusCode.NotFound, "SYS.1003", "no upload at this url");
        Assert.Empty(await ImageKit.QueryAsync(client));
        Assert.Empty(await storage.FilesAsync(loc));
        await SourceKit.NoReservationAsync(host, url, bs);
    }

    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task Deleting_the_image_during_a_put_cancels_it_and_leaves_no_file(string type)
    {
        var storage = world[type];
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var loc = storage.NewLocation();
        var url = loc.LocalPath;
        var bs = await storage.AddOkAsync(client, loc);
        var (image, uploadUrl) = await StartAsync(client, bs, "upload://big.raw", null);
        using var http = new HttpClient();
        var put = http.PutAsync(uploadUrl, new SlowContent(8_000_000));
        var deadline = DateTime.UtcNow.AddSeconds(20);

        // A file type shows bytes on disk at once; an object store holds them in memory until a segment fills, so
        // there the PUT is mid-way once the server runs its transfer and has reserved the total.
        var transfers = host.Services.GetRequiredService<TransferRegistry>();
        while (storage.HasFileModes
            ? !ImageKit.Files(url).Any(f => new FileInfo(f).Length > 0)
            : !transfers.IsRunning(image["uuid"]!.GetValue<string>(), bs) || await ReservedAsync(host) != 8_000_000)
        {
            Assert.True(DateTime.UtcNow < deadline, "the upload never reached the host");
            await Task.Delay(50);
        }

        Assert.Equal(8_000_000, await ReservedAsync(host));
        Assert.Equal(HttpStatusCode.OK, (await client.CallAsync(HttpMethod.Delete, "/images/" + image["uuid"]!.GetValue<string>())).Status);
        try
        {
            using var answer = await put;
            Assert.Equal(HttpStatusCode.NotFound, answer.StatusCode);
        }
        catch (HttpRequestException)
        {
            // The server may close the connection before the client finished sending: also a refusal.
        }

        storage.AssertNoTransferLeft(loc);
        Assert.Empty(await storage.FilesAsync(loc));
        Assert.Empty(await ImageKit.QueryAsync(client));
        Assert.Equal("", await AllUploadRowsAsync(host));
        await SourceKit.NoReservationAsync(host, url, bs);
        await ExpectErrorAsync(await http.GetAsync(uploadUrl), HttpStatusCode.NotFound, "SYS.1003", "no upload at this url");
    }

    [Theory]
    [MemberData(nameof(StorageWorld.AllTypesOnBothDatabases), MemberType = typeof(StorageWorld))]
    public async Task Other_schemes_are_refused_on_both_databases(string type, Db db)
    {
        var storage = world[type];
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var bs = await storage.AddOkAsync(client, storage.NewLocation());
        // ftp:// is accepted since ZStack's agent pulls it (Fidelity.SourceRuleTests); a path-less ftp url is not.
        foreach (var bad in new[] { "ftp://127.0.0.1/", "nfs://10.0.0.1/a.qcow2", "gopher://x/a", "upload://" })
        {
            var r = await ImageKit.AddAsync(client, bad, [bs]);
            Assert.True(r.ErrorCode == "SYS.1007", bad + ": " + r);
        }

        Assert.Empty(await ImageKit.QueryAsync(client));
    }

    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task An_iso_uploaded_as_a_template_lands_in_the_iso_folder(string type)
    {
        var storage = world[type];
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var loc = storage.NewLocation();
        var bs = await storage.AddOkAsync(client, loc);
        var content = ImageKit.RandomBytes(200_000);
        "CD001"u8.CopyTo(content.AsSpan(32769));
        var (image, uploadUrl) = await StartAsync(client, bs, "upload://live.iso", null);
        Assert.Equal("RootVolumeTemplate", image["mediaType"]!.GetValue<string>());
        Assert.Contains("/rootVolumeTemplates/", image["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>(), StringComparison.Ordinal);

        using var http = new HttpClient();
        using var done = await http.PutAsync(uploadUrl, new ByteArrayContent(content));
        var body = await done.Content.ReadAsStringAsync();
        Assert.True(done.StatusCode == HttpStatusCode.OK, body);
        var ready = (await ImageKit.QueryAsync(client)).Single()!;
        Assert.Equal("ISO", ready["mediaType"]!.GetValue<string>());
        Assert.Equal("iso", ready["format"]!.GetValue<string>());
        var path = ready["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>();
        Assert.Matches("/iso/acct-[0-9a-f]{32}/[0-9a-f]{32}/live\\.iso$", path);
        Assert.Equal(content, await storage.ReadAsync(loc, path));
        Assert.Equal([path], await storage.FilesAsync(loc));
        if (storage.HasFileModes)
        {
            var uuid = ready["uuid"]!.GetValue<string>();
            Assert.DoesNotContain(Directory.EnumerateDirectories(loc.LocalPath, "*", SearchOption.AllDirectories), d => d.Contains("rootVolumeTemplates", StringComparison.Ordinal) && d.EndsWith(uuid, StringComparison.Ordinal));
            var templates = Path.Combine(loc.LocalPath, "rootVolumeTemplates");
            Assert.True(!Directory.Exists(templates) || !Directory.EnumerateDirectories(templates).Any(), "the emptied acct folder is removed too");
        }
    }

    private static async Task<(JsonNode Image, string UploadUrl)> StartAsync(ZStackClient client, string bs, string url, IEnumerable<string>? tags)
    {
        var r = await ImageKit.AddAsync(client, url, [bs], systemTags: tags);
        Assert.True(r.Status == HttpStatusCode.OK, r.ToString());
        var image = r.Json!["inventory"]!;
        var copy = image["backupStorageRefs"]!.AsArray().Single()!;
        Assert.Equal("Downloading", copy["status"]!.GetValue<string>());
        return (image, copy["uploadUrl"]!.GetValue<string>());
    }

    private static ByteArrayContent Piece(byte[] content, int from, int to)
    {
        var piece = new ByteArrayContent(content, from, to - from);
        piece.Headers.ContentRange = new ContentRangeHeaderValue(from, to - 1, content.Length);
        return piece;
    }

    private static async Task ExpectErrorAsync(HttpResponseMessage response, HttpStatusCode status, string code, string text)
    {
        using (response)
        {
            var body = await response.Content.ReadAsStringAsync();
            Assert.True(response.StatusCode == status, $"{(int)response.StatusCode} {body}");
            Assert.Equal(code, JsonNode.Parse(body)!["error"]!["code"]!.GetValue<string>());
            Assert.Contains(text, body, StringComparison.Ordinal);
        }
    }

    private static async Task<long> ReservedAsync(StowageHost host)
    {
        await using var db = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        return await db.ImageBackupStorageRefs.SumAsync(r => r.ReservedSize);
    }

    private static async Task<string> AllUploadRowsAsync(StowageHost host)
    {
        await using var db = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        var rows = await db.ImageUploads.AsNoTracking().ToListAsync();
        return string.Join('\n', rows.Select(u => $"{u.TokenHash} {u.ImageUuid} {u.TotalSize}"));
    }

    /// <summary>A body of known length sent 64 KiB every 50 ms, so a delete can land mid-upload.</summary>
    private sealed class SlowContent(int length) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            var block = ImageKit.RandomBytes(64 * 1024);
            for (var sent = 0; sent < length; sent += block.Length)
            {
                await stream.WriteAsync(block.AsMemory(0, Math.Min(block.Length, length - sent)));
                await stream.FlushAsync();
                await Task.Delay(50);
            }
        }

        protected override bool TryComputeLength(out long length1)
        {
            length1 = length;
            return true;
        }
    }
}
