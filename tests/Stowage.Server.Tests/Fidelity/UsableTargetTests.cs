using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.VolumeArchives;
using Stowage.Sftp.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.Fidelity;

/// <summary>Issue 14 item 6: given several backup storages, the adds skip the Disabled and not Connected ones and go on with the rest.</summary>
[Collection(StorageCollection.Name)]
public sealed class UsableTargetTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Unusable_backup_storages_are_skipped_and_only_all_unusable_fails(Db db)
    {
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        await ImageKit.SetConfigAsync(client, "backupStorage", "connection.autoReconnectOnError", "false");
        var (urlOff, urlDown, urlGood) = (sshd.NewPath(), sshd.NewPath(), sshd.NewPath());
        var off = await BsKit.AddOkAsync(client, sshd, urlOff, "off");
        var down = await BsKit.AddOkAsync(client, sshd, urlDown, "down");
        var good = await BsKit.AddOkAsync(client, sshd, urlGood, "good");
        await BsKit.ActionAsync(client, $"/backup-storage/{off}/actions", "changeBackupStorageState", new JsonObject { ["stateEvent"] = "disable" });
        await using (var ef = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext())
        {
            await ef.BackupStorages.Where(b => b.Uuid == down).ExecuteUpdateAsync(s => s.SetProperty(b => b.Status, "Disconnected"));
        }

        var file = source.Add("a.raw", ImageKit.RandomBytes(1_100_000));
        var image = await ImageKit.AddOkAsync(client, file, [off, down, good]);
        Assert.Equal([good], image["backupStorageRefs"]!.AsArray().Select(r => r!["backupStorageUuid"]!.GetValue<string>()));
        Assert.Equal("Ready", image["status"]!.GetValue<string>());
        Assert.Single(ImageKit.Files(urlGood));
        Assert.Empty(ImageKit.Files(urlOff));
        Assert.Empty(ImageKit.Files(urlDown));

        var snap = await VolumeKit.AddOkAsync(client, "/volume-snapshots", file, [down, good, off]);
        Assert.Equal([good], VolumeKit.RefBs(snap));

        var none = await ImageKit.AddAsync(client, file, [off, down]);
        Assert.Equal("SYS.1006", none.ErrorCode);
        Assert.Contains("because its state is Disabled", none.Body, StringComparison.Ordinal);
        Assert.Single(await ImageKit.QueryAsync(client));
    }
}
