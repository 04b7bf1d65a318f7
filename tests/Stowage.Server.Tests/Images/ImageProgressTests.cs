using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.Protocol;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Images;

/// <summary>Task progress of AddImage jobs (GET /task-progresses/{apiId}) and cancelling them (CancelLongJob).</summary>
[Collection(StorageCollection.Name)]
public sealed class ImageProgressTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task Task_progress_reports_bytes_percent_rate_and_eta_during_a_download_and_100_at_the_end(string type)
    {
        var storage = world[type];
        await using var source = await HttpSource.StartAsync();
        source.SlowChunk = 80 * 1024; // about 7 s, so the host's once-a-second progress is sampled several times
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var bs = await storage.AddOkAsync(client, storage.NewLocation(), "one");
        const int size = 6_000_000;
        source.Add("p.raw", ImageKit.RandomBytes(size));
        var job = Guid.NewGuid().ToString("N");
        var accepted = await client.SendAsync(HttpMethod.Post, "/images", ImageKit.AddBody(source.Url("slow", "p.raw"), [bs]), jobUuid: job);
        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);

        var seen = new List<JsonObject>();
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            var r = await client.SendAsync(HttpMethod.Get, $"/task-progresses/{job}");
            Wire.AssertOk(r);
            var all = ZStackClient.Inventories(r);
            Assert.Equal(job, all[0]!["taskUuid"]!.GetValue<string>());
            Assert.Equal("AddImage", all[0]!["taskName"]!.GetValue<string>());
            if (all.Count > 1 && all[1]!["opaque"]!["state"]!.GetValue<string>() == "Running" && all[1]!["opaque"]!["bytesDone"]!.GetValue<long>() > 0)
            {
                seen.Add(all[1]!.AsObject());
                if (Enough(seen))
                {
                    // Every sample the assertions below look for is in: the rest of the download need not trickle.
                    source.SlowChunk = 8 << 20;
                }
            }

            if (all[0]!["opaque"]!["state"]!.GetValue<string>() != "Running")
            {
                break;
            }

            await Task.Delay(400);
        }

        seen = [.. seen.DistinctBy(s => s["opaque"]!["bytesDone"]!.GetValue<long>())];
        Assert.True(seen.Count >= 2, "too few distinct progress samples: " + seen.Count);
        var first = seen[0];
        var last = seen[^1];
        Assert.Equal(job, first["parentUuid"]!.GetValue<string>());
        Assert.Equal("Progress", first["type"]!.GetValue<string>());
        Assert.Equal(size, first["opaque"]!["bytesTotal"]!.GetValue<long>());
        Assert.Equal(bs, first["opaque"]!["backupStorageUuid"]!.GetValue<string>());
        Assert.True(last["opaque"]!["bytesDone"]!.GetValue<long>() > first["opaque"]!["bytesDone"]!.GetValue<long>(), $"no increase: {first} → {last}");
        // The last sample may already show every byte (100 %) while the host verifies and hashes the file.
        Assert.Contains(seen, s => int.Parse(s["content"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) < 100);
        Assert.Contains(seen, s => s["opaque"]!["bytesPerSecond"]?.GetValue<long>() > 0 && s["opaque"]!["etaSeconds"] is not null);

        Assert.Equal(HttpStatusCode.OK, (await client.PollAsync(accepted, TimeSpan.FromSeconds(60))).Status);
        var final = ZStackClient.Inventories(await client.SendAsync(HttpMethod.Get, $"/task-progresses/{job}"));
        Assert.Equal("100", final[0]!["content"]!.GetValue<string>());
        Assert.Equal("Succeeded", final[0]!["opaque"]!["state"]!.GetValue<string>());
        Assert.Equal("100", final[1]!["content"]!.GetValue<string>());
        Assert.Equal(size, final[1]!["opaque"]!["bytesDone"]!.GetValue<long>());

        Wire.AssertError(await client.SendAsync(HttpMethod.Get, $"/task-progresses/{Guid.NewGuid():N}"), HttpStatusCode.ServiceUnavailable, "SYS.1003");
        Wire.AssertError(await client.SendAsync(HttpMethod.Get, "/task-progresses/not-a-job"), HttpStatusCode.ServiceUnavailable, "SYS.1003");
    }

    /// <summary>At least two distinct samples, increasing, one below 100 % and one with a rate and an eta (what the test asserts).</summary>
    private static bool Enough(List<JsonObject> seen)
    {
        var distinct = seen.DistinctBy(s => s["opaque"]!["bytesDone"]!.GetValue<long>()).ToList();
        return distinct.Count >= 2
            && distinct[^1]["opaque"]!["bytesDone"]!.GetValue<long>() > distinct[0]["opaque"]!["bytesDone"]!.GetValue<long>()
            && distinct.Any(s => int.Parse(s["content"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture) < 100)
            && distinct.Any(s => s["opaque"]!["bytesPerSecond"]?.GetValue<long>() > 0 && s["opaque"]!["etaSeconds"] is not null);
    }

    [Fact]
    public async Task Cancelling_a_running_AddImage_kills_the_transfer_and_leaves_no_image_no_file_and_no_reservation()
    {
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        var bs = await BsKit.AddOkAsync(client, sshd, url, "one");
        var before = (await BsKit.GetAsync(client, bs))["availableCapacity"]!.GetValue<long>();
        source.Add("c.raw", ImageKit.RandomBytes(20_000_000));
        var job = Guid.NewGuid().ToString("N");
        var accepted = await client.SendAsync(HttpMethod.Post, "/images", ImageKit.AddBody(source.Url("slow", "c.raw"), [bs]), jobUuid: job);
        await WaitForBytesAsync(client, job);
        Assert.True((await BsKit.GetAsync(client, bs))["availableCapacity"]!.GetValue<long>() < before - 10_000_000, "the download reserves its size");
        Assert.Contains(ImageKit.ProcessesFor(sshd.User, url), p => p.Contains("curl", StringComparison.Ordinal));

        Wire.AssertOk(await Cancel(client, job));
        var failed = await client.PollAsync(accepted, TimeSpan.FromSeconds(5));
        Wire.AssertError(failed, HttpStatusCode.ServiceUnavailable, "SYS.1006");
        Assert.Contains("cancelled by the user", failed.Json!["error"]!["details"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("cancelled by the user", failed.Json!["error"]!["cause"]!["details"]!.GetValue<string>(), StringComparison.Ordinal);

        Assert.Empty(await ImageKit.QueryAsync(client));
        Assert.Empty(ImageKit.Files(url));
        ImageKit.NoProcessFor(sshd.User, url);
        // The 20 MB reservation is gone: ±8 MB leaves room for other tests writing to the same disk meanwhile
        // (CI once saw +3 MB) while a leaked reservation would still be 20 MB below.
        Assert.InRange((await BsKit.GetAsync(client, bs))["availableCapacity"]!.GetValue<long>(), before - 8_000_000, before + 8_000_000);
        var progress = ZStackClient.Inventories(await client.SendAsync(HttpMethod.Get, $"/task-progresses/{job}"));
        Assert.Equal("Canceled", progress[0]!["opaque"]!["state"]!.GetValue<string>());
        Assert.Equal("SYS.1006", progress[0]!["opaque"]!["error"]!["code"]!.GetValue<string>());
        Assert.Equal("Canceled", progress[1]!["opaque"]!["state"]!.GetValue<string>());

        // A finished job, a succeeded one and an unknown one cannot be cancelled; none of them is a 500.
        var again = await Cancel(client, job);
        Wire.AssertError(again, HttpStatusCode.ServiceUnavailable, "SYS.1006");
        Assert.Contains("already finished", again.Body, StringComparison.Ordinal);
        var done = Guid.NewGuid().ToString("N");
        Assert.Equal(HttpStatusCode.OK, (await client.CallAsync(HttpMethod.Post, "/images", ImageKit.AddBody(source.Add("s.raw", ImageKit.RandomBytes(100_000)), [bs]), jobUuid: done)).Status);
        Wire.AssertError(await Cancel(client, done), HttpStatusCode.ServiceUnavailable, "SYS.1006");
        Wire.AssertError(await Cancel(client, Guid.NewGuid().ToString("N")), HttpStatusCode.ServiceUnavailable, "SYS.1003");
        Wire.AssertError(await Cancel(client, "nope"), HttpStatusCode.ServiceUnavailable, "SYS.1003");
    }

    public static Task<ApiResponse> Cancel(ZStackClient client, string job) =>
        client.SendAsync(HttpMethod.Put, $"/api-jobs/{job}/actions", new JsonObject { ["cancelLongJob"] = new JsonObject() });

    internal static async Task WaitForBytesAsync(ZStackClient client, string job)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var all = ZStackClient.Inventories(await client.SendAsync(HttpMethod.Get, $"/task-progresses/{job}"));
            if (all.Count > 1 && all[1]!["opaque"]!["bytesDone"]!.GetValue<long>() > 0)
            {
                return;
            }

            await Task.Delay(200);
        }

        Assert.Fail("the download never reported progress");
    }
}
