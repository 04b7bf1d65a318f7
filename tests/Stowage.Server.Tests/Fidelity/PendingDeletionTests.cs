using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.VolumeArchives;
using Stowage.Sftp.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.Fidelity;

/// <summary>
/// Issue 14 item 7: a deletion the host cannot carry out never lies. The copy's record goes at once, the removal is
/// queued durably and shown, and it converges (file gone, record gone, capacity back) once the host allows it.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class PendingDeletionTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task A_folder_that_will_not_go_is_queued_and_removed_with_its_empty_account_folder_once_it_can(Db db)
    {
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        await ImageKit.SetConfigAsync(client, "image", "deletionPolicy", "Direct");
        var url = sshd.NewPath();
        var bs = await BsKit.AddOkAsync(client, sshd, url);
        var image = await ImageKit.AddOkAsync(client, source.Add("a.raw", ImageKit.RandomBytes(1_500_000)), [bs]);
        var uuid = image["uuid"]!.GetValue<string>();
        var file = image["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>();
        var folder = Path.GetDirectoryName(file)!;
        var acct = Path.GetDirectoryName(folder)!;

        // The account folder belongs to root and is read-only: the file goes, its folder cannot (a partial removal).
        Proc.Run("chown", "root:", acct);
        Proc.Run("chmod", "555", acct);
        try
        {
            var deleted = await client.CallAsync(HttpMethod.Delete, $"/images/{uuid}");
            Assert.True(deleted.Status == HttpStatusCode.OK, deleted.ToString());
            Assert.Empty(await ImageKit.QueryAsync(client));
            var pending = await PendingAsync(client, bs);
            var row = Assert.Single(pending);
            Assert.Equal(file, row!["installPath"]!.GetValue<string>());
            Assert.Equal(uuid, row["resourceUuid"]!.GetValue<string>());
            Assert.Equal("ImageVO", row["resourceType"]!.GetValue<string>());
            Assert.Equal(1, row["attempts"]!.GetValue<int>());
            Assert.False(string.IsNullOrWhiteSpace(row["reason"]!.GetValue<string>()));
            Assert.False(File.Exists(file));
            Assert.True(Directory.Exists(folder));
            Assert.DoesNotContain(uuid, ReadMetadata(url), StringComparison.Ordinal);

            // A scheduled round tries again and fails again: the attempt is counted.
            await host.Services.GetRequiredService<Stowage.Server.Storage.StorageGc>().RunOnceAsync(CancellationToken.None);
            Assert.Equal(2, (await PendingAsync(client, bs)).Single()!["attempts"]!.GetValue<int>());
        }
        finally
        {
            Proc.Run("chmod", "755", acct);
            Proc.Run("chown", $"{sshd.User}:", acct);
        }

        // Reconnecting makes the backup storage Connected again, which retries at once.
        Assert.Equal(HttpStatusCode.OK, (await BsKit.ActionAsync(client, $"/backup-storage/{bs}/actions", "reconnectBackupStorage")).Status);
        await WaitNoPendingAsync(client, bs);
        Assert.False(Directory.Exists(folder));
        Assert.False(Directory.Exists(acct));
        Assert.Empty(ImageKit.Files(url));
        await CapacityBackAsync(client, bs, url);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Deletions_while_sshd_is_dead_survive_a_server_restart_and_finish_when_the_host_is_back(Db db)
    {
        await using var source = await HttpSource.StartAsync();
        var dataDir = Directory.CreateTempSubdirectory("stowage-gc-").FullName;
        var first = await StowageHost.StartAsync(db, dataDir: dataDir);
        var url = sshd.NewPath();
        string bs;
        string image;
        string snapshot;
        string kept;
        using (var client = first.Client())
        {
            await client.LoginAsync();
            await ImageKit.SetConfigAsync(client, "image", "deletionPolicy", "Direct");
            await ImageKit.SetConfigAsync(client, "backupStorage", "connection.autoReconnectOnError", "false");
            bs = await BsKit.AddOkAsync(client, sshd, url);
            var file = source.Add("b.raw", ImageKit.RandomBytes(1_200_000));
            image = (await ImageKit.AddOkAsync(client, file, [bs], "gone"))["uuid"]!.GetValue<string>();
            kept = (await ImageKit.AddOkAsync(client, file, [bs], "kept"))["uuid"]!.GetValue<string>();
            snapshot = VolumeKit.Uuid(await VolumeKit.AddOkAsync(client, "/volume-snapshots", file, [bs]));
            Assert.Equal(3, ImageKit.Files(url).Count);

            sshd.KillSshdOnly();
            try
            {
                Assert.Equal(HttpStatusCode.OK, (await client.CallAsync(HttpMethod.Delete, $"/images/{image}")).Status);
                Assert.Equal(HttpStatusCode.OK, (await client.CallAsync(HttpMethod.Delete, $"/volume-snapshots/{snapshot}")).Status);

                // The records tell the truth at once: the copies are gone, the removals are pending, nothing else changed.
                Assert.Equal([kept], (await ImageKit.QueryAsync(client)).Select(i => i!["uuid"]!.GetValue<string>()));
                Assert.Empty(await VolumeKit.QueryUuidsAsync(client, "/volume-snapshots"));
                Assert.Equal(new[] { image, snapshot }.Order(), (await PendingAsync(client, bs)).Select(p => p!["resourceUuid"]!.GetValue<string>()).Order());
                Assert.Equal(3, ImageKit.Files(url).Count);
                await first.StopAsync();
            }
            catch
            {
                sshd.Stop();
                await sshd.StartAsync();
                throw;
            }
        }

        // A new server on the same database still knows what is to be removed, while the host is still down.
        await using var second = await StowageHost.StartAsync(db, dataDir: dataDir, pgDatabase: first.PgDatabase);
        using var c2 = second.Client();
        await c2.LoginAsync();
        try
        {
            Assert.Equal(2, (await PendingAsync(c2, bs)).Count);
        }
        finally
        {
            sshd.Stop();
            await sshd.StartAsync();
        }

        Assert.Equal(HttpStatusCode.OK, (await BsKit.ActionAsync(c2, $"/backup-storage/{bs}/actions", "reconnectBackupStorage")).Status);
        await WaitNoPendingAsync(c2, bs);
        var left = ImageKit.Files(url);
        Assert.Single(left);
        Assert.Contains(kept, left.Single(), StringComparison.Ordinal);
        Assert.Contains(kept, ReadMetadata(url), StringComparison.Ordinal);
        Assert.DoesNotContain(image, ReadMetadata(url), StringComparison.Ordinal);
        await CapacityBackAsync(c2, bs, url);
    }

    private static async Task<JsonArray> PendingAsync(ZStackClient client, string bs)
    {
        var r = await client.QueryAsync("/backup-storage/pending-deletions", $"q=backupStorageUuid={bs}");
        Assert.True(r.Status == HttpStatusCode.OK, r.ToString());
        return ZStackClient.Inventories(r);
    }

    private static async Task WaitNoPendingAsync(ZStackClient client, string bs)
    {
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while ((await PendingAsync(client, bs)).Count > 0)
        {
            Assert.True(DateTime.UtcNow < deadline, "the pending removals were not retried");
            await Task.Delay(200);
        }
    }

    /// <summary>Capacity is re-measured once the files are gone: what the filesystem reports, less the reserve nothing holds.</summary>
    private static async Task CapacityBackAsync(ZStackClient client, string bs, string url)
    {
        var inv = await BsKit.GetAsync(client, bs);
        var df = ImageKit.DfAvailable(url);
        Assert.InRange(inv["availableCapacity"]!.GetValue<long>(), df - (64L << 20), df + (64L << 20));
    }

    private static string ReadMetadata(string url)
    {
        var path = Path.Combine(url, "bs_sftp_info.json");
        return File.Exists(path) ? File.ReadAllText(path) : string.Empty;
    }
}
