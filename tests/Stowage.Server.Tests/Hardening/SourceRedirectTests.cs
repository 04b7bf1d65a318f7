using System.Net;
using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Sftp.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.Hardening;

/// <summary>
/// Issue 15 item 1: an http source that redirects. Only http(s) hops are followed, a bounded number of times,
/// each one checked like a first url (own port included); a refused hop leaves no image in a transitional status.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class SourceRedirectTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    /// <summary>Every refused target on one server per database (a server start per target cost more than the calls).</summary>
    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task A_redirect_the_rules_refuse_is_SYS_1007_and_registers_nothing(Db db)
    {
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        var bs = await BsKit.AddOkAsync(client, sshd, url);
        foreach (var target in new[] { "file", "sftp", "own-port", "loop", "bad-location" })
        {
            var (location, expected) = Target(source, host, target);
            source.Redirects["/r/img.raw"] = location;

            var r = await ImageKit.AddAsync(client, source.Url("r", "img.raw"), [bs]);
            Assert.True(r.ErrorCode == "SYS.1007", target + ": " + r);
            Assert.Contains(expected, r.Body, StringComparison.Ordinal);
            Assert.Empty(await ImageKit.QueryAsync(client));
            Assert.Empty(ImageKit.Files(url));
            await SourceKit.NoReservationAsync(host, url, bs);
            Assert.DoesNotContain(source.Requests, q => q.StartsWith("GET", StringComparison.Ordinal));
        }
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task A_redirect_only_the_download_sees_is_checked_too_and_leaves_final_states(Db db)
    {
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        var bs = await BsKit.AddOkAsync(client, sshd, url);
        source.Add("img.raw", ImageKit.RandomBytes(100_000));

        // HEAD answers 200; GET redirects to this server's own API: the host does not follow (curl 47), Stowage
        // streams it in mode Auto, and refuses the hop.
        source.Redirects["GET /f/img.raw"] = $"http://127.0.0.1:{host.BaseAddress.Port}/zstack/v1/apis";
        var r = await ImageKit.AddAsync(client, source.Url("f", "img.raw"), [bs]);
        Assert.True(r.ErrorCode == "SYS.1002", r.ToString());
        Assert.Contains("own port", r.Body, StringComparison.Ordinal);
        Assert.Empty(await ImageKit.QueryAsync(client));
        Assert.Empty(ImageKit.Files(url));
        await SourceKit.NoReservationAsync(host, url, bs);
        await using var ctx = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        Assert.False(await ctx.ImageBackupStorageRefs.AnyAsync(x => x.Status == "Downloading"));
    }

    [Theory]
    [InlineData("HostPull", "HEAD")]
    [InlineData("Auto", "GET")]
    [InlineData("Stream", "GET")]
    public async Task Redirects_within_http_are_followed(string mode, string redirected)
    {
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var bs = await BsKit.AddOkAsync(client, sshd, sshd.NewPath());
        await ImageKit.SetConfigAsync(client, "image", "download.mode", mode);
        var content = ImageKit.Qcow2();
        source.Add("disk.qcow2", content);
        source.Redirects[redirected == "HEAD" ? "/r/disk.qcow2" : "GET /r/disk.qcow2"] = "/r2/disk.qcow2";
        source.Redirects["/r2/disk.qcow2"] = source.Url("f", "disk.qcow2");
        if (redirected == "GET")
        {
            source.Redirects["HEAD /r/disk.qcow2"] = source.Url("f", "disk.qcow2");
        }

        var image = await ImageKit.AddOkAsync(client, source.Url("r", "disk.qcow2"), [bs]);
        Assert.Equal(ImageKit.Sha256(content), image["sha256Sum"]!.GetValue<string>());
        Assert.Equal(source.Url("r", "disk.qcow2"), image["url"]!.GetValue<string>());
        Assert.EndsWith("/disk.template", image["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    private static (string Location, string Expected) Target(HttpSource source, StowageHost host, string target) => target switch
    {
        "file" => ("file:///etc/passwd", "only http:// and https:// redirects"),
        "sftp" => ("sftp://u:p@127.0.0.1/etc/passwd", "only http:// and https:// redirects"),
        "own-port" => ($"http://127.0.0.1:{host.BaseAddress.Port}/zstack/v1/apis", "own port"),
        "loop" => (source.Url("r", "img.raw"), "redirects more than 5 times"),
        _ => ("http://[::1", "valid Location"),
    };
}
