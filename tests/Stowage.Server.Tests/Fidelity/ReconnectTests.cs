using System.Net;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Sftp.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.Fidelity;

/// <summary>Issue 14 item 8: a reconnect is a new connection, so a host re-keyed under a live pooled session is noticed.</summary>
[Collection(StorageCollection.Name)]
public sealed class ReconnectTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task A_host_key_changed_under_a_live_session_fails_the_reconnect(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        var bs = await BsKit.AddOkAsync(client, sshd, url);
        foreach (var action in new[] { ("/backup-storage/", "reconnectBackupStorage"), ("/backup-storage/sftp/", "reconnectSftpBackupStorage") })
        {
            var ok = await BsKit.ActionAsync(client, $"{action.Item1}{bs}/actions", action.Item2);
            Assert.True(ok.Status == HttpStatusCode.OK, ok.ToString());
        }

        // The pooled session (opened by the reconnect above) survives the re-key; only a fresh connection sees the new key.
        await sshd.RekeyUnderLiveSessionsAsync();
        var r = await BsKit.ActionAsync(client, $"/backup-storage/sftp/{bs}/actions", "reconnectSftpBackupStorage");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, r.Status);
        Assert.Contains("host key", r.Body, StringComparison.Ordinal);
        var inv = await BsKit.GetAsync(client, bs);
        Assert.Equal("Disconnected", inv["status"]!.GetValue<string>());
        Assert.Contains("host key", inv["lastError"]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task A_wiped_identity_marker_tells_one_working_instruction(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        var bs = await BsKit.AddOkAsync(client, sshd, url);
        File.Delete(Path.Combine(url, ".stowage-backup-storage"));

        var refused = await BsKit.ActionAsync(client, $"/backup-storage/{bs}/actions", "reconnectBackupStorage");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.Status);
        var instruction = Stowage.Server.Storage.BackupStorageConnector.MarkerLost(url, "SftpBackupStorage");
        Assert.Contains(instruction, refused.Body, StringComparison.Ordinal);
        Assert.Equal(instruction, (await BsKit.GetAsync(client, bs))["lastError"]!.GetValue<string>());

        // The instruction works: the password again adopts the directory and the backup storage is Connected.
        var update = await client.CallAsync(HttpMethod.Put, $"/backup-storage/sftp/{bs}/actions",
            new System.Text.Json.Nodes.JsonObject { ["updateSftpBackupStorage"] = new System.Text.Json.Nodes.JsonObject { ["password"] = sshd.Password } });
        Assert.True(update.Status == HttpStatusCode.OK, update.ToString());
        Assert.Equal("Connected", (await BsKit.GetAsync(client, bs))["status"]!.GetValue<string>());
        Assert.Equal(bs, File.ReadAllText(Path.Combine(url, ".stowage-backup-storage")).Trim());
    }
}
