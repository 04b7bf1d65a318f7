using System.Diagnostics;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Images;

/// <summary>The OpenSSH write channel of the SFTP driver as the server uses it (see docs/backup-storage.md "The write channel").</summary>
[Collection(StorageCollection.Name)]
public sealed class ImageWriteChannelTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Fact]
    public async Task A_killed_ssh_child_fails_the_streamed_add_and_leaves_no_file_process_or_reservation()
    {
        await using var source = await HttpSource.StartAsync();
        source.SlowChunk = 256 * 1024;
        await using var host = await StowageHost.StartAsync();
        var driver = host.Services.GetRequiredService<SftpBackupStorageDriver>();
        driver.WriteTransport = WriteTransport.Auto;
        Assert.True(driver.WritesThroughOpenSsh, "the tests install openssh-client; ssh must be found");
        driver.OpenSshWriteMinBytes = 0;
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        var bs = await BsKit.AddOkAsync(client, sshd, url);
        await ImageKit.SetConfigAsync(client, "image", "download.mode", "Stream");
        source.Add("big.raw", ImageKit.RandomBytes(16_000_000));
        var accepted = await client.SendAsync(HttpMethod.Post, "/images", ImageKit.AddBody(source.Url("slow", "big.raw"), [bs]));
        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!(Directory.Exists(url) && Directory.EnumerateFiles(url, "*.stowage-part", SearchOption.AllDirectories).Any(f => new FileInfo(f).Length > 0)))
        {
            Assert.True(DateTime.UtcNow < deadline, "the streamed write never got under way");
            await Task.Delay(50);
        }

        // The write's ssh child names the install path (inside url) in its remote script.
        var children = ProcessTable.SshPids(url);
        Assert.NotEmpty(children);
        foreach (var pid in children)
        {
            using var ssh = Process.GetProcessById(pid);
            ssh.Kill();
        }

        var add = await client.PollAsync(accepted);
        Assert.NotNull(add.ErrorCode);
        Assert.Contains("ssh", add.Body, StringComparison.OrdinalIgnoreCase);
        Assert.Empty(await ImageKit.QueryAsync(client));
        Assert.True(await ProcessTable.WaitAsync(() => ImageKit.Files(url).Count == 0), "no part file is left: " + string.Join(", ", ImageKit.Files(url)));
        ImageKit.NoProcessFor(sshd.User, url);
        Assert.Empty(ProcessTable.SshPids(url));
        await using var db = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        Assert.Equal(0, await db.ImageBackupStorageRefs.SumAsync(r => r.ReservedSize));
    }
}
