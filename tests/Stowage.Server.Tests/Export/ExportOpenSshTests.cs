using System.Net;
using Microsoft.Extensions.Configuration;
using Stowage.Server.Features.BackupStorage.Sftp;
using Stowage.Server.Hosting;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Export;

/// <summary>Export downloads through the OpenSSH child from the HTTP side: key logins, clients that hang up, the setting.</summary>
[Collection(StorageCollection.Name)]
public sealed class ExportOpenSshTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Fact]
    public async Task A_key_login_export_streams_through_ssh_and_a_client_that_hangs_up_leaves_no_process()
    {
        await using var w = await ExportWorld.StartAsync(sshd, 24_000_000, useKey: true);
        var url = await w.ExportOkAsync();
        var copy = (await ImageKit.QueryAsync(w.Client)).Single()!["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>();

        using (var request = new HttpRequestMessage(HttpMethod.Get, url))
        {
            using var response = await w.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            await using var body = await response.Content.ReadAsStreamAsync();
            var first = new byte[1024 * 1024];
            await body.ReadExactlyAsync(first);
            Assert.Equal(w.Content[..first.Length], first);
            Assert.Contains(ProcessTable.SshChildren(), c => c.Name == "ssh");
            Assert.DoesNotContain(ProcessTable.SshChildren(), c => c.CommandLine.Contains("PRIVATE KEY", StringComparison.Ordinal));
        }

        // The client went away after 1 MiB of 24: the server kills ssh, and the host's cat ends with the channel.
        Assert.True(await ProcessTable.WaitAsync(() => ProcessTable.SshChildren().Count == 0), "ssh children left: " + string.Join("; ", ProcessTable.SshChildren()));
        Assert.True(await ProcessTable.WaitAsync(() => ProcessTable.Readers(copy).Count == 0), "cat still runs on the host");

        using var again = await w.GetAsync(url, "bytes=12345678-");
        Assert.Equal(w.Content[12_345_678..], await again.Content.ReadAsByteArrayAsync());
        Assert.True(await ProcessTable.WaitAsync(() => ProcessTable.SshChildren().Count == 0));
    }

    [Fact]
    public void The_export_transport_setting_is_auto_or_sftp_and_anything_else_stops_the_start()
    {
        static StowageSettings Parse(string? value) => StowageSettings.From(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["data-dir"] = Path.GetTempPath(),
            ["export-transport"] = value,
        }).Build());

        // The SSH storage type reads the setting when it is registered at start (StowageServer.Build).
        Assert.Equal(ExportTransport.Auto, SftpStorageType.ParseExportTransport(Parse(null).ExportTransport));
        Assert.Equal(ExportTransport.Sftp, SftpStorageType.ParseExportTransport(Parse(" SFTP ").ExportTransport));
        var bad = Assert.Throws<InvalidOperationException>(() => new SftpStorageType(Parse("scp").ExportTransport));
        Assert.Contains("expected auto or sftp", bad.Message, StringComparison.Ordinal);
    }
}
