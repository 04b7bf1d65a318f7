using System.Net;
using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Features.Images;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Sftp.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.Hardening;

/// <summary>
/// Issue 15 item 4: a source that announces 8 MiB, sends 4 MiB and holds the connection is stopped after the
/// stall timeout (a changed value reaching the running job), a healthy slow download is not cut by any wall
/// clock, and an image whose completeness nothing proves says so.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class StallTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    public static TheoryData<Db, string> DbAndMode()
    {
        var data = new TheoryData<Db, string>();
        foreach (var db in Databases.Both.Cast<object[]>().Select(row => (Db)row[0]))
        {
            data.Add(db, "HostPull");
            data.Add(db, "Stream");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(DbAndMode))]
    public async Task A_stalled_source_is_stopped_by_the_stall_timeout_changed_while_it_runs(Db db, string mode)
    {
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        var bs = await BsKit.AddOkAsync(client, sshd, url);
        await ImageKit.SetConfigAsync(client, "image", "download.mode", mode);
        await ImageKit.SetConfigAsync(client, "image", "download.stallTimeout", "3600");
        source.Add("big.raw", ImageKit.RandomBytes(8 << 20));

        var accepted = await client.SendAsync(HttpMethod.Post, "/images", ImageKit.AddBody(source.Url("stall", "big.raw"), [bs]));
        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
        await WaitAsync(() => source.Stalled > 0, "the source never stalled");

        // The job started with an hour; the new value reaches it.
        await ImageKit.SetConfigAsync(client, "image", "download.stallTimeout", "2");
        var r = await client.PollAsync(accepted, TimeSpan.FromMinutes(2));
        Assert.True(r.ErrorCode == "SYS.1002", r.ToString());
        Assert.Contains("stallTimeout", r.Body, StringComparison.Ordinal);
        Assert.Empty(await ImageKit.QueryAsync(client));
        await WaitAsync(() => source.Stalled == 0, "the stalled connection was not released");
        ImageKit.NoProcessFor(sshd.User, url);
        Assert.Empty(ImageKit.Files(url));
        await SourceKit.NoReservationAsync(host, url, bs);
    }

    [Theory]
    [InlineData("HostPull")]
    [InlineData("Stream")]
    public async Task A_healthy_download_longer_than_the_stall_timeout_completes(string mode)
    {
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var bs = await BsKit.AddOkAsync(client, sshd, sshd.NewPath());
        await ImageKit.SetConfigAsync(client, "image", "download.mode", mode);
        await ImageKit.SetConfigAsync(client, "image", "download.stallTimeout", "5");
        source.SlowChunk = 32 * 1024;
        var content = ImageKit.RandomBytes(2_500_000);   // about 8 s at 32 KiB per 100 ms
        source.Add("slow.raw", content);

        var image = await ImageKit.AddOkAsync(client, source.Url("slow", "slow.raw"), [bs]);
        Assert.Equal(ImageKit.Sha256(content), image["sha256Sum"]!.GetValue<string>());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task A_source_without_length_that_closes_early_gives_an_image_marked_unverified(Db db)
    {
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var bs = await BsKit.AddOkAsync(client, sshd, sshd.NewPath());
        var content = ImageKit.RandomBytes(1_000_000);
        source.Add("short.raw", content);

        var image = await ImageKit.AddOkAsync(client, source.Url("nolen-drop", "short.raw"), [bs]);
        Assert.Equal(content.Length / 2, image["actualSize"]!.GetValue<long>());
        var uuid = image["uuid"]!.GetValue<string>();
        var tags = ZStackClient.Inventories(await client.QueryAsync("/system-tags", $"q=resourceUuid={uuid}"));
        Assert.Contains(tags, t => t!["tag"]!.GetValue<string>() == AddImage.UnverifiedTag);

        // With a checksum tag the same source is refused: only a checksum proves completeness.
        var r = await ImageKit.AddAsync(client, source.Url("nolen-drop", "short.raw"), [bs], "checked", systemTags: ["checksum::sha256::" + ImageKit.Sha256(content)]);
        Assert.Equal("SYS.1002", r.ErrorCode);
        Assert.Contains("checksum mismatch", r.Body, StringComparison.Ordinal);

        // A source that announces its size is not marked.
        var whole = await ImageKit.AddOkAsync(client, source.Url("f", "short.raw"), [bs], "whole");
        var wholeTags = ZStackClient.Inventories(await client.QueryAsync("/system-tags", $"q=resourceUuid={whole["uuid"]!.GetValue<string>()}"));
        Assert.DoesNotContain(wholeTags, t => t!["tag"]!.GetValue<string>() == AddImage.UnverifiedTag);
        await using var ctx = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        Assert.False(await ctx.ImageBackupStorageRefs.AnyAsync(x => x.Status == "Downloading"));
    }

    private static async Task WaitAsync(Func<bool> condition, string message)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, message);
            await Task.Delay(50);
        }
    }
}
