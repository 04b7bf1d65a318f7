using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.VolumeArchives;

/// <summary>Volume snapshots and backups from upload://, through the same upload url as images.</summary>
[Collection(StorageCollection.Name)]
public sealed class VolumeArchiveUploadTests(StorageWorld world)
{
    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task A_snapshot_uploaded_in_two_pieces_lands_in_its_folder_verified_and_a_bad_backup_upload_leaves_nothing(string type)
    {
        var storage = world[type];
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var loc = storage.NewLocation();
        var url = loc.LocalPath;
        var bs = await storage.AddOkAsync(client, loc);
        var other = await storage.AddOkAsync(client, storage.NewLocation(), "other");
        Assert.Equal("SYS.1007", (await VolumeKit.AddAsync(client, "/volume-snapshots", "upload://disk", [bs, other])).ErrorCode);

        var content = ImageKit.RandomBytes(300_000);
        var snap = await VolumeKit.AddOkAsync(client, "/volume-snapshots", "upload://disk.qcow2", [bs]);
        Assert.Equal("Downloading", snap["status"]!.GetValue<string>());
        var uploadUrl = snap["backupStorageRefs"]![0]!["uploadUrl"]!.GetValue<string>();
        Assert.DoesNotContain("uploadUrl", (await client.QueryAsync("/volume-snapshots")).Body, StringComparison.Ordinal);

        using var http = new HttpClient();
        using (var first = await PutAsync(http, uploadUrl, content, 0, 100_000))
        {
            Assert.Equal((HttpStatusCode)308, first.StatusCode);
            Assert.Equal(VolumeKit.Uuid(snap), JsonNode.Parse(await first.Content.ReadAsStringAsync())!["volumeSnapshotUuid"]!.GetValue<string>());
        }

        using (var last = await PutAsync(http, uploadUrl, content, 100_000, content.Length))
        {
            var body = await last.Content.ReadAsStringAsync();
            Assert.True(last.StatusCode == HttpStatusCode.OK, body);
            var ready = JsonNode.Parse(body)!["inventory"]!;
            Assert.Equal("Ready", ready["status"]!.GetValue<string>());
            Assert.Equal(ImageKit.Sha256(content), ready["sha256Sum"]!.GetValue<string>());
            var path = ready["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>();
            Assert.Contains("/volumeSnapshots/", path, StringComparison.Ordinal);
            Assert.Equal(content, await storage.ReadAsync(loc, path));
            Assert.Equal([path], await storage.FilesAsync(loc));
        }

        // A backup whose upload does not match its checksum tag is removed with its file and reservation.
        var backup = await VolumeKit.AddAsync(client, "/volume-backups", "upload://vol.raw", [bs], "b", [$"checksum::sha256::{new string('0', 64)}"]);
        Assert.Equal(HttpStatusCode.OK, backup.Status);
        var backupUrl = backup.Json!["inventory"]!["backupStorageRefs"]![0]!["uploadUrl"]!.GetValue<string>();
        using (var bad = await http.PutAsync(backupUrl, new ByteArrayContent(content)))
        {
            Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
            Assert.Contains("volume backup", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        Assert.Empty(await VolumeKit.QueryUuidsAsync(client, "/volume-backups"));
        Assert.Single(await storage.FilesAsync(loc));
        await SourceKit.NoReservationAsync(host, url, bs);
    }

    private static Task<HttpResponseMessage> PutAsync(HttpClient http, string url, byte[] content, int from, int to)
    {
        var piece = new ByteArrayContent(content[from..to]);
        piece.Headers.ContentRange = new ContentRangeHeaderValue(from, to - 1, content.Length);
        return http.PutAsync(url, piece);
    }
}
