using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.Protocol;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.Verification;

/// <summary>
/// Issue 19 items 1 and 3 against real storage, once per type: stored files are damaged the four ways (a flipped
/// byte, cut short, deleted, replaced) and verified; each copy ends Corrupted with its reason, the one with a second
/// copy elsewhere is repaired to Ready with matching digests, the others are reported damaged and stay Corrupted,
/// and a Corrupted copy is neither exported nor copied from.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class VerificationTests(StorageWorld world)
{
    [Theory]
    [MemberData(nameof(StorageWorld.Types), MemberType = typeof(StorageWorld))]
    public async Task Damaged_copies_end_Corrupted_with_the_reason_and_one_with_a_good_copy_elsewhere_is_repaired(string typeName)
    {
        var type = world[typeName];
        await using var http = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var (bs, location) = await type.AddNewAsync(client, "main");
        var (other, otherLocation) = await type.AddNewAsync(client, "other");
        const int Size = 300_000;
        var images = new List<(string Uuid, string Path)>();
        foreach (var name in new[] { "flip", "cut", "gone", "swap" })
        {
            var image = await ImageKit.AddOkAsync(client, http.Add(name + ".raw", ImageKit.RandomBytes(Size)), [bs], name);
            images.Add((image["uuid"]!.GetValue<string>(), location.Local(image["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>())));
        }

        // A clean pass first: every copy verifies Ok and records when.
        var clean = await VerifyKit.VerifyBackupStorageAsync(client, bs);
        Wire.AssertOk(clean);
        Assert.Equal(4, clean.Json!["ok"]!.GetValue<int>());
        var first = await VerifyKit.CopyAsync(client, images[0].Uuid, bs);
        Assert.Equal("Ok", first["lastVerifyOutcome"]!.GetValue<string>());
        Wire.AssertDate(first["lastVerifiedDate"]);

        // The first image gets a second copy elsewhere, so it can be repaired.
        Wire.AssertOk(await client.CallAsync(HttpMethod.Put, $"/images/{images[0].Uuid}/actions",
            new JsonObject { ["copyImageToBackupStorage"] = new JsonObject { ["dstBackupStorageUuid"] = other } }));
        var expected = ImageKit.Sha256(File.ReadAllBytes(images[0].Path));

        type.Corrupt(images[0].Path);
        VerifyKit.Truncate(images[1].Path);
        File.Delete(images[2].Path);
        File.Delete(images[3].Path);
        type.Plant(images[3].Path, ImageKit.RandomBytes(Size));

        var r = await VerifyKit.VerifyBackupStorageAsync(client, bs);
        Wire.AssertOk(r);
        Assert.Equal(4, r.Json!["corrupted"]!.GetValue<int>());
        Assert.Equal(1, r.Json!["repaired"]!.GetValue<int>());
        var results = r.Json!["results"]!.AsArray().ToDictionary(x => x!["uuid"]!.GetValue<string>(), x => x!);
        Assert.Equal("Repaired", results[images[0].Uuid]["repair"]!.GetValue<string>());
        Assert.Contains("mismatch", results[images[0].Uuid]["reason"]!.GetValue<string>(), StringComparison.Ordinal);
        foreach (var (uuid, _) in images.Skip(1))
        {
            Assert.Equal("Failed", results[uuid]["repair"]!.GetValue<string>());
            Assert.StartsWith("damaged", results[uuid]["repairReason"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        // Repaired: Ready again, the file's bytes are the recorded ones; the others stay Corrupted with their reason.
        var repaired = await VerifyKit.CopyAsync(client, images[0].Uuid, bs);
        Assert.Equal("Ready", repaired["status"]!.GetValue<string>());
        Assert.Equal(expected, ImageKit.Sha256(File.ReadAllBytes(images[0].Path)));
        foreach (var ((uuid, _), reason) in images.Skip(1).Zip(["size changed", "missing", "md5 mismatch"]))
        {
            var copy = await VerifyKit.CopyAsync(client, uuid, bs);
            Assert.Equal("Corrupted", copy["status"]!.GetValue<string>());
            Assert.Equal("Corrupted", copy["lastVerifyOutcome"]!.GetValue<string>());
            Assert.Contains(reason, copy["lastError"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        // Queries see the status; the events say what happened, naming the image and the reason.
        Assert.Equal(3, (await ImageKit.QueryAsync(client, "q=backupStorageRefs.status=Corrupted")).Count);
        Assert.Equal(4, (await VerifyKit.EventsAsync(host, bs, "/backup-storage/copy/corrupted")).Count);
        Assert.Contains(images[0].Uuid, Assert.Single(await VerifyKit.EventsAsync(host, bs, "/backup-storage/copy/repaired")), StringComparison.Ordinal);
        var failed = await VerifyKit.EventsAsync(host, bs, "/backup-storage/copy/repair-failed");
        Assert.Equal(3, failed.Count);
        Assert.Contains(failed, e => e.Contains(images[2].Uuid, StringComparison.Ordinal) && e.Contains("damaged", StringComparison.Ordinal));

        // A Corrupted copy is never exported nor copied from.
        var export = await client.CallAsync(HttpMethod.Put, $"/backup-storage/{bs}/actions",
            new JsonObject { ["exportImageFromBackupStorage"] = new JsonObject { ["imageUuid"] = images[1].Uuid } });
        Wire.AssertError(export, HttpStatusCode.ServiceUnavailable, "SYS.1006");
        var copyFrom = await client.CallAsync(HttpMethod.Put, $"/images/{images[1].Uuid}/actions",
            new JsonObject { ["copyImageToBackupStorage"] = new JsonObject { ["dstBackupStorageUuid"] = other } });
        Wire.AssertError(copyFrom, HttpStatusCode.ServiceUnavailable, "SYS.1006");
        Assert.Contains("no Ready copy", copyFrom.Body, StringComparison.Ordinal);

        // Nothing is left behind: no process, no partial file, no reservation; the other storage holds only the good copy.
        type.AssertNoTransferLeft(location);
        Assert.Single(ImageKit.Files(otherLocation.LocalPath));
        Assert.DoesNotContain(Directory.EnumerateFiles(location.LocalPath, "*", SearchOption.AllDirectories), f => f.Contains(".stowage-", StringComparison.Ordinal) && !f.EndsWith(".stowage-backup-storage", StringComparison.Ordinal));
        await using var db = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        Assert.Equal(0, await db.ImageBackupStorageRefs.SumAsync(x => x.ReservedSize));

        // Deleting a Corrupted image removes its file whatever the deletion policy.
        Wire.AssertOk(await client.CallAsync(HttpMethod.Delete, $"/images/{images[1].Uuid}"));
        Assert.False(Directory.Exists(Path.GetDirectoryName(images[1].Path)));
    }

    /// <summary>Volume snapshots and backups share the verifier: a changed snapshot copy is found, the second copy repairs it.</summary>
    [Theory]
    [InlineData("/volume-snapshots", "verifyVolumeSnapshot")]
    [InlineData("/volume-backups", "verifyVolumeBackup")]
    public async Task A_volume_archive_copy_is_verified_and_repaired_like_an_image(string path, string action)
    {
        var type = world["FileSystemBackupStorage"];
        await using var http = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var (bs, location) = await type.AddNewAsync(client, "main");
        var (other, _) = await type.AddNewAsync(client, "other");
        var item = await VolumeArchives.VolumeKit.AddOkAsync(client, path, http.Add("v.qcow2", ImageKit.RandomBytes(200_000)), [bs, other]);
        var uuid = item["uuid"]!.GetValue<string>();
        var file = location.Local(item["backupStorageRefs"]!.AsArray().Single(r => r!["backupStorageUuid"]!.GetValue<string>() == bs)!["installPath"]!.GetValue<string>());
        var expected = ImageKit.Sha256(File.ReadAllBytes(file));
        type.Corrupt(file);

        var r = await client.CallAsync(HttpMethod.Put, $"{path}/{uuid}/actions", new JsonObject { [action] = VerifyKit.Args(bs, null) });
        Wire.AssertOk(r);
        var result = Assert.Single(r.Json!["results"]!.AsArray())!;
        Assert.Equal("Corrupted", result["outcome"]!.GetValue<string>());
        Assert.Equal("Repaired", result["repair"]!.GetValue<string>());
        var copy = r.Json!["inventory"]!["backupStorageRefs"]!.AsArray().Single(x => x!["backupStorageUuid"]!.GetValue<string>() == bs)!;
        Assert.Equal("Ready", copy["status"]!.GetValue<string>());
        Assert.Equal("Ok", copy["lastVerifyOutcome"]!.GetValue<string>());
        Assert.Equal(expected, ImageKit.Sha256(File.ReadAllBytes(file)));
        Assert.Single(await VerifyKit.EventsAsync(host, bs, "/backup-storage/copy/repaired"));
    }
}
