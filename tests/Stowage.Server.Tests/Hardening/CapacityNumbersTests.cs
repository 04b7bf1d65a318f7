using System.Net;
using System.Net.Http.Headers;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Hardening;

/// <summary>Issue 15 item 9: the inventory's availableCapacity counts the reservations the allocator counts, after a restart too.</summary>
[Collection(StorageCollection.Name)]
public sealed class CapacityNumbersTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Fact]
    public async Task After_a_restart_an_unfinished_upload_still_holds_its_reservation_in_the_inventory()
    {
        var dataDir = Directory.CreateTempSubdirectory("stowage-cap-").FullName;
        var url = sshd.NewPath();
        var first = await StowageHost.StartAsync(dataDir: dataDir);
        string bs;
        long total;
        using (var client = first.Client())
        {
            await client.LoginAsync();
            bs = await BsKit.AddOkAsync(client, sshd, url);
            total = Math.Min(ImageKit.DfAvailable(url) / 2, 20L << 30);
            var r = await ImageKit.AddAsync(client, "upload://big.raw", [bs], "big");
            var uploadUrl = r.Json!["inventory"]!["backupStorageRefs"]![0]!["uploadUrl"]!.GetValue<string>();
            using var http = new HttpClient();
            using var piece = new ByteArrayContent(new byte[1000]);
            piece.Headers.ContentRange = new ContentRangeHeaderValue(0, 999, total);
            using var put = await http.PutAsync(uploadUrl, piece);
            Assert.Equal((HttpStatusCode)308, put.StatusCode);
            await first.StopAsync();
        }

        await using var second = await StowageHost.StartAsync(dataDir: dataDir);
        using var again = second.Client();
        await again.LoginAsync();
        var available = (await BsKit.GetAsync(again, bs))["availableCapacity"]!.GetValue<long>();
        Assert.True(available <= ImageKit.DfAvailable(url) - total + (256L << 20), $"available {available}, df {ImageKit.DfAvailable(url)}, reserved {total}");
    }
}
