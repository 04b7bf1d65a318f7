using System.Net;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Sftp.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.Fidelity;

/// <summary>Issue 14 item 5 (and item 9's url texts): the source rules ZStack enforces.</summary>
[Collection(StorageCollection.Name)]
public sealed class SourceRuleTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Deny_listed_host_paths_small_http_sources_and_ftp_follow_ZStack(Db db)
    {
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        var other = sshd.NewPath();
        var bs = await BsKit.AddOkAsync(client, sshd, url, "one");
        await BsKit.AddOkAsync(client, sshd, other, "other");

        foreach (var path in new[] { "file:///etc/hostname", "/proc/self/environ", "file:///root/disk.img", "/var/run/x.img", "file:///home/u/.ssh/id_ed25519", "file://" + other + "/x.template" })
        {
            var r = await ImageKit.AddAsync(client, path, [bs]);
            Assert.True(r.ErrorCode == "SYS.1007", path + " " + r);
            Assert.Contains("is in black list", r.Body, StringComparison.Ordinal);
        }

        // An admin extends the list; a neighbour of an entry is not on it.
        await ImageKit.SetConfigAsync(client, "image", "hostPath.denyList", "/srv/secret, /opt/keys");
        Assert.Contains("is in black list", (await ImageKit.AddAsync(client, "file:///srv/secret/a.img", [bs])).Body, StringComparison.Ordinal);
        var neighbour = await ImageKit.AddAsync(client, "file:///srv/secretive/a.img", [bs]);
        Assert.NotEqual("SYS.1007", neighbour.ErrorCode);
        Assert.Empty(await ImageKit.QueryAsync(client));

        // ZStack's 1 MiB floor for an http source that announces its size; a source that does not say is tried.
        await ImageKit.SetConfigAsync(client, "image", "download.minimumSize", "1M");
        var small = source.Add("small.raw", ImageKit.RandomBytes(500_000));
        var tooSmall = await ImageKit.AddAsync(client, small, [bs]);
        Assert.Equal("SYS.1006", tooSmall.ErrorCode);
        Assert.Contains("it's too small for an image", tooSmall.Body, StringComparison.Ordinal);
        Assert.Empty(await ImageKit.QueryAsync(client));
        Assert.Empty(ImageKit.Files(url));
        Assert.Equal(HttpStatusCode.OK, (await ImageKit.AddAsync(client, source.Url("nolen", "small.raw"), [bs])).Status);

        // ftp:// is accepted (the host pulls it with curl); with nothing listening the download fails, not the validation.
        var ftp = await ImageKit.AddAsync(client, $"ftp://127.0.0.1:{SshdFixture.FreePort()}/pub/x.raw", [bs], "ftp");
        Assert.Equal("SYS.1002", ftp.ErrorCode);

        // Error texts show the url as typed: no %C3%A9 for an é.
        var typed = $"{source.BaseUrl}/f/missing-é.raw";
        var missing = await ImageKit.AddAsync(client, typed, [bs], "typed");
        Assert.Equal("SYS.1002", missing.ErrorCode);
        Assert.Contains(typed, missing.Json!.ToJsonString(new System.Text.Json.JsonSerializerOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }), StringComparison.Ordinal);
        Assert.DoesNotContain("%C3%A9", missing.Body, StringComparison.OrdinalIgnoreCase);
    }
}
