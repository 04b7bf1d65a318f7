using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Cluster;

/// <summary>The key ring in the database opens only with the cluster secret; the database alone reveals no credential.</summary>
[Collection(StorageCollection.Name)]
public sealed class ClusterSecretTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Fact]
    public async Task A_server_with_another_cluster_secret_is_refused_and_the_database_holds_no_credential_in_clear()
    {
        if (!ClusterWorld.Available)
        {
            return;
        }

        await using var world = await ClusterWorld.StartAsync(sshd, 1);
        await BsKit.AddOkAsync(world.Clients[0], sshd, sshd.NewOwnedDir("secret"), "with-credential");

        var keys = await world.QueryAsync("SELECT xml FROM data_protection_keys", r => r.GetString(0));
        Assert.NotEmpty(keys);
        Assert.All(keys, k => Assert.DoesNotContain("<masterKey", k, StringComparison.Ordinal));
        var stored = await world.QueryAsync("SELECT credential_cipher FROM sftp_backup_storages", r => r.GetString(0));
        Assert.DoesNotContain(sshd.Password, stored.Single(), StringComparison.Ordinal);

        var otherSecret = Path.Combine(Directory.CreateTempSubdirectory("stowage-secret-").FullName, "other");
        await File.WriteAllTextAsync(otherSecret, "a-different-secret-of-enough-length");
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            ServerProcess.StartAsync("intruder", world.Postgres, [.. ClusterWorld.FastCluster, "--cluster-secret-file", otherSecret]));
        Assert.Contains("encrypted with another cluster secret", e.Message, StringComparison.Ordinal);
        Directory.Delete(Path.GetDirectoryName(otherSecret)!, recursive: true);
    }
}
