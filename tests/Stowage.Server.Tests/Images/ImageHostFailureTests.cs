using System.Net;
using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Images;

/// <summary>The storage host's sshd dies in the middle of a transfer.</summary>
[Collection(StorageCollection.Name)]
public sealed class ImageHostFailureTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Theory]
    [InlineData("HostPull")]
    [InlineData("Stream")]
    public async Task Sshd_killed_mid_transfer_fails_the_copy_and_leaves_no_process_file_or_reservation(string mode)
    {
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        var bs = await BsKit.AddOkAsync(client, sshd, url);
        await ImageKit.SetConfigAsync(client, "image", "download.mode", mode);
        source.Add("big.raw", ImageKit.RandomBytes(8_000_000));
        var accepted = await client.SendAsync(HttpMethod.Post, "/images", ImageKit.AddBody(source.Url("slow", "big.raw"), [bs]));
        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
        await ImageKit.WaitForAsync(() => Directory.Exists(url) && Directory.EnumerateFiles(url, "*.stowage-part", SearchOption.AllDirectories).Any(f => new FileInfo(f).Length > 0));

        try
        {
            sshd.KillSshdOnly();
            var add = await client.PollAsync(accepted);
            // The whole reply in the message: an unexpected error names its exception type there.
            Assert.True(add.ErrorCode == "SYS.1002", add.Body);
            Assert.Contains($"on backup storage[uuid: {bs}]", add.Body, StringComparison.Ordinal);

            // Nothing keeps running on the host: the script's watchdog (pull) or the end of stdin (stream)
            // stops the transfer, and its EXIT trap removes the temporary file.
            ImageKit.NoProcessFor(sshd.User, url);
            await ImageKit.WaitForAsync(() => ImageKit.Files(url).Count == 0);
            Assert.Empty(await ImageKit.QueryAsync(client));
            await using var db = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
            Assert.Equal(0, await db.ImageBackupStorageRefs.SumAsync(r => r.ReservedSize));
        }
        finally
        {
            sshd.Stop();
            await sshd.StartAsync();
        }
    }
}
