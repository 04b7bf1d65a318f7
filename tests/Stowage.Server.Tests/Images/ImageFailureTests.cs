using System.Net;
using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Storage;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Images;

[Collection(StorageCollection.Name)]
public sealed class ImageFailureTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    /// <summary>Every failure of a download mode on one server (a server start per failure cost more than the downloads).</summary>
    [Theory]
    [InlineData("HostPull", "404:HTTP error", "refused:cannot reach the source", "drop:broke off", "checksum:sha256 checksum mismatch")]
    [InlineData("Stream", "404:HTTP 404", "drop:failed", "checksum:sha256 checksum mismatch")]
    [InlineData("Auto", "refused:cannot reach the source from Stowage either")]
    public async Task A_failed_download_leaves_no_image_file_process_or_reservation(string mode, params string[] failures)
    {
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        var bs = await BsKit.AddOkAsync(client, sshd, url);
        await ImageKit.SetConfigAsync(client, "image", "download.mode", mode);
        var content = ImageKit.RandomBytes(2_000_000);
        source.Add("img.raw", content);
        foreach (var (failure, expected) in failures.Select(f => (f[..f.IndexOf(':', StringComparison.Ordinal)], f[(f.IndexOf(':', StringComparison.Ordinal) + 1)..])))
        {
            var (imageUrl, tags) = failure switch
            {
                "404" => (source.Url("f", "missing.raw"), (string[]?)null),
                "refused" => ($"http://127.0.0.1:{SshdFixture.FreePort()}/img.raw", null),
                "drop" => (source.Url("drop", "img.raw"), null),
                _ => (source.Url("f", "img.raw"), ["checksum::sha256::" + new string('0', 64)]),
            };

            var r = await ImageKit.AddAsync(client, imageUrl, [bs], systemTags: tags);
            Assert.True(r.ErrorCode == "SYS.1002", $"{mode} {failure}: {r}");
            Assert.Contains(expected, r.Body, StringComparison.Ordinal);
            Assert.Empty(await ImageKit.QueryAsync(client));
            Assert.Empty(ImageKit.Files(url));
            Assert.DoesNotContain(Directory.EnumerateDirectories(url, "*", SearchOption.AllDirectories), d => Path.GetFileName(d).Length == 32);
            ImageKit.NoProcessFor(sshd.User, url);
            await NoReservationAsync(host, url, bs);
        }
    }

    [Theory]
    [MemberData(nameof(StorageWorld.Types), MemberType = typeof(StorageWorld))]
    public async Task One_failed_copy_of_two_keeps_the_good_copy_and_says_which_failed(string type)
    {
        var storage = world[type];
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var good = await storage.AddOkAsync(client, storage.NewLocation(), "good");
        var badLoc = storage.NewLocation();
        var badUrl = badLoc.LocalPath;
        var bad = await storage.AddOkAsync(client, badLoc, "bad");
        await File.WriteAllTextAsync(Path.Combine(badUrl, "rootVolumeTemplates"), "a file where the folder should be");
        var image = await ImageKit.AddOkAsync(client, source.Add("x.qcow2", ImageKit.Qcow2()), [good, bad]);

        Assert.Equal("Ready", image["status"]!.GetValue<string>());
        var copies = image["backupStorageRefs"]!.AsArray();
        Assert.Equal("Ready", copies.Single(c => c!["backupStorageUuid"]!.GetValue<string>() == good)!["status"]!.GetValue<string>());
        var failed = copies.Single(c => c!["backupStorageUuid"]!.GetValue<string>() == bad)!;
        Assert.Equal("Error", failed["status"]!.GetValue<string>());
        Assert.Contains($"on backup storage[uuid: {bad}]", failed["lastError"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task Delete_while_downloading_kills_the_transfer_and_removes_everything(string type)
    {
        var storage = world[type];
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var loc = storage.NewLocation();
        var url = loc.LocalPath;
        var bs = await storage.AddOkAsync(client, loc);
        source.Add("big.raw", ImageKit.RandomBytes(8_000_000));
        var accepted = await client.SendAsync(HttpMethod.Post, "/images", ImageKit.AddBody(source.Url("slow", "big.raw"), [bs]));
        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
        var transfers = host.Services.GetRequiredService<TransferRegistry>();

        // A file type shows a growing part file; an object store holds a segment in memory before it stores it, so
        // there the transfer's own count of bytes received says the download is under way.
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (storage.HasFileModes
            ? !(Directory.Exists(url) && Directory.EnumerateFiles(url, "*.stowage-part", SearchOption.AllDirectories).Any(f => new FileInfo(f).Length > 0))
            : !((await ImageKit.QueryAsync(client)).SingleOrDefault()?["uuid"]?.GetValue<string>() is { } image && transfers.Of(image).Any(t => t.Entry.BytesDone > 0)))
        {
            Assert.True(DateTime.UtcNow < deadline, "the download never got under way");
            await Task.Delay(50);
        }

        var uuid = (await ImageKit.QueryAsync(client)).Single()!["uuid"]!.GetValue<string>();
        Assert.Equal("Downloading", (await ImageKit.QueryAsync(client)).Single()!["status"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.OK, (await client.CallAsync(HttpMethod.Delete, "/images/" + uuid)).Status);
        storage.AssertNoTransferLeft(loc);
        Assert.Empty(await storage.FilesAsync(loc));
        var add = await client.PollAsync(accepted);
        Assert.Equal("SYS.1006", add.ErrorCode);
        Assert.Contains("has been deleted", add.Body, StringComparison.Ordinal);
        Assert.Empty(await ImageKit.QueryAsync(client));
        await NoReservationAsync(host, url, bs);
    }

    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task A_download_whose_source_stalls_is_stopped_and_cleaned_up(string type)
    {
        var storage = world[type];
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var loc = storage.NewLocation();
        var url = loc.LocalPath;
        var bs = await storage.AddOkAsync(client, loc);
        await ImageKit.SetConfigAsync(client, "image", "download.stallTimeout", "2");
        source.Add("big.raw", ImageKit.RandomBytes(8_000_000));
        var r = await ImageKit.AddAsync(client, source.Url("stall", "big.raw"), [bs]);
        Assert.Equal("SYS.1002", r.ErrorCode);
        Assert.Contains("stallTimeout", r.Body, StringComparison.Ordinal);
        storage.AssertNoTransferLeft(loc);
        Assert.Empty(await storage.FilesAsync(loc));
        await NoReservationAsync(host, url, bs);
    }

    /// <summary>No copy holds a reservation and available capacity is what the filesystem reports free.</summary>
    private static async Task NoReservationAsync(StowageHost host, string url, string bs)
    {
        await using var db = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        Assert.Equal(0, await db.ImageBackupStorageRefs.SumAsync(r => r.ReservedSize));
        var available = (await db.BackupStorages.SingleAsync(b => b.Uuid == bs)).AvailableCapacity;
        if (url.Length == 0)
        {
            // An object store: its own count of what it holds, the identity marker alone.
            Assert.InRange(available, (10L << 30) - 4096, 10L << 30);
            return;
        }

        Assert.InRange(available, ImageKit.DfAvailable(url) - (64L << 20), ImageKit.DfAvailable(url) + (64L << 20));
    }
}
