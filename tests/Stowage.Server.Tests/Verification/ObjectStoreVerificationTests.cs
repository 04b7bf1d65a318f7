using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.Protocol;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.Verification;

/// <summary>
/// Issue 19 items 1 and 3 on the object stores (Swift, S3 over the run's real Swift): objects are damaged behind
/// Stowage's back through the fixture's own look into the store (a flipped byte, a shorter object put in place, a
/// deleted object) and verified. Each copy ends Corrupted with its reason; the one with a second copy on a
/// FileSystem backup storage is repaired from there (streamed into the store) to Ready with the recorded digests.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class ObjectStoreVerificationTests(StorageWorld world)
{
    [Theory]
    [MemberData(nameof(StorageWorld.ObjectStoreTypes), MemberType = typeof(StorageWorld))]
    public async Task Damaged_objects_end_Corrupted_with_the_reason_and_one_with_a_copy_on_another_type_is_repaired(string typeName)
    {
        var type = world[typeName];
        await using var http = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var (bs, location) = await type.AddNewAsync(client, "main");
        var fileSystem = world[FileSystemStorageFixture.TypeName];
        var (other, otherLocation) = await fileSystem.AddNewAsync(client, "other");
        const int Size = 300_000;
        var images = new List<(string Uuid, string InstallPath)>();
        foreach (var name in new[] { "flip", "cut", "gone" })
        {
            var image = await ImageKit.AddOkAsync(client, http.Add(name + ".raw", ImageKit.RandomBytes(Size)), [bs], name);
            images.Add((image["uuid"]!.GetValue<string>(), image["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>()));
        }

        var clean = await VerifyKit.VerifyBackupStorageAsync(client, bs);
        Wire.AssertOk(clean);
        Assert.Equal(3, clean.Json!["ok"]!.GetValue<int>());

        // The first image gets a second copy on the other type (streamed out of the store), so it can be repaired.
        Wire.AssertOk(await client.CallAsync(HttpMethod.Put, $"/images/{images[0].Uuid}/actions",
            new JsonObject { ["copyImageToBackupStorage"] = new JsonObject { ["dstBackupStorageUuid"] = other } }));
        var expected = ImageKit.Sha256(await type.ReadAsync(location, images[0].InstallPath));

        await type.CorruptAsync(location, images[0].InstallPath);
        var cut = await type.ReadAsync(location, images[1].InstallPath);
        await type.PlantAsync(location, images[1].InstallPath, cut[..(Size / 2)]);
        await type.DeleteAsync(location, images[2].InstallPath);

        var r = await VerifyKit.VerifyBackupStorageAsync(client, bs);
        Wire.AssertOk(r);
        Assert.Equal(3, r.Json!["corrupted"]!.GetValue<int>());
        Assert.Equal(1, r.Json!["repaired"]!.GetValue<int>());
        var results = r.Json!["results"]!.AsArray().ToDictionary(x => x!["uuid"]!.GetValue<string>(), x => x!);
        Assert.Equal("Repaired", results[images[0].Uuid]["repair"]!.GetValue<string>());
        Assert.Contains("mismatch", results[images[0].Uuid]["reason"]!.GetValue<string>(), StringComparison.Ordinal);

        // Repaired: Ready, and the object in the store has the recorded bytes again; the others stay Corrupted with their reason.
        var repaired = await VerifyKit.CopyAsync(client, images[0].Uuid, bs);
        Assert.Equal("Ready", repaired["status"]!.GetValue<string>());
        Assert.Equal("Ok", repaired["lastVerifyOutcome"]!.GetValue<string>());
        Assert.Equal(expected, ImageKit.Sha256(await type.ReadAsync(location, images[0].InstallPath)));
        Assert.Equal(expected, ImageKit.Sha256(await fileSystem.ReadAsync(otherLocation, (await VerifyKit.CopyAsync(client, images[0].Uuid, other))["installPath"]!.GetValue<string>())));
        foreach (var ((uuid, _), reason) in images.Skip(1).Zip(["size changed", "missing"]))
        {
            Assert.Equal("Failed", results[uuid]["repair"]!.GetValue<string>());
            var copy = await VerifyKit.CopyAsync(client, uuid, bs);
            Assert.Equal("Corrupted", copy["status"]!.GetValue<string>());
            Assert.Contains(reason, copy["lastError"]!.GetValue<string>(), StringComparison.Ordinal);
        }

        Assert.Equal(3, (await VerifyKit.EventsAsync(host, bs, "/backup-storage/copy/corrupted")).Count);
        Assert.Single(await VerifyKit.EventsAsync(host, bs, "/backup-storage/copy/repaired"));

        // Nothing is left in the store but the two objects still there (no repair upload, no orphaned segment), nor any reservation.
        Assert.Equal(new[] { images[0].InstallPath, images[1].InstallPath }.Order(StringComparer.Ordinal), (await type.FilesAsync(location)).Order(StringComparer.Ordinal));
        await using var db = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        Assert.Equal(0, await db.ImageBackupStorageRefs.SumAsync(x => x.ReservedSize));
    }
}
