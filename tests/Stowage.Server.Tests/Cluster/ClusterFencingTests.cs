using System.Diagnostics;
using System.Net;
using Npgsql;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Stowage.Server.Tests.Cluster;

/// <summary>
/// A partition between one server and the database (a relay that stops passing bytes, no reset): the cut-off
/// server stops its work on its own lease before the other server may take its backup storages over.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class ClusterFencingTests(StorageWorld world, ITestOutputHelper output)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Fact]
    public async Task A_server_cut_off_from_the_database_stops_its_transfer_before_another_server_takes_over()
    {
        if (!ClusterWorld.Available)
        {
            return;
        }

        TcpProxy? proxy = null;
        await using var world = await ClusterWorld.StartAsync(sshd, 2, (i, cs) =>
        {
            if (i != 0)
            {
                return cs;
            }

            var b = new NpgsqlConnectionStringBuilder(cs);
            proxy = new TcpProxy(b.Host!, b.Port);
            b.Host = "127.0.0.1";
            b.Port = proxy.Port;
            return b.ToString();
        });
        await using var relay = proxy!;
        try
        {
            await RunAsync(world, relay);
        }
        catch
        {
            world.WriteLogs(output);
            throw;
        }
    }

    private async Task RunAsync(ClusterWorld world, TcpProxy relay)
    {
        var (cut, other) = (world.Servers[0], world.Servers[1]);
        await ImageKit.SetConfigAsync(world.Clients[1], "backupStorage", "ping.interval", "2");
        var dirs = new Dictionary<string, string>();
        for (var i = 0; i < 8; i++)
        {
            var dir = sshd.NewOwnedDir("fence");
            dirs[await BsKit.AddOkAsync(world.Clients[i % 2], sshd, dir, $"fence-{i}")] = dir;
        }

        await world.SettledAsync();
        var owners = await world.OwnersAsync();
        var ofCut = owners.Where(o => o.Value == cut.NodeId).Select(o => o.Key).ToList();
        Assert.NotEmpty(ofCut);

        // A slow download on a backup storage of the server about to be cut off, asked through the other one.
        await using var source = await HttpSource.StartAsync();
        source.SlowChunk = 32 * 1024;
        source.Add("big.img", ImageKit.RandomBytes(16 << 20));
        var job = Guid.NewGuid().ToString("N");
        var target = ofCut[0];
        var accepted = await world.Clients[1].SendAsync(HttpMethod.Post, "/images", ImageKit.AddBody(source.Url("slow", "big.img"), [target], "cut-off"), jobUuid: job);
        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
        await ImageKit.WaitForAsync(() => ImageKit.ProcessesFor(sshd.User, dirs[target]).Count > 0, TimeSpan.FromSeconds(30));

        var clock = Stopwatch.StartNew();
        relay.Freeze();
        TimeSpan? transferGone = null;
        TimeSpan? firstTaken = null;
        while (clock.Elapsed < TimeSpan.FromSeconds(60) && (transferGone is null || firstTaken is null))
        {
            if (transferGone is null && ImageKit.ProcessesFor(sshd.User, dirs[target]).Count == 0)
            {
                transferGone = clock.Elapsed;
            }

            if (firstTaken is null && (await world.OwnersAsync()).Any(o => ofCut.Contains(o.Key) && o.Value == other.NodeId))
            {
                firstTaken = clock.Elapsed;
            }

            await Task.Delay(50);
        }

        output.WriteLine($"transfer stopped {transferGone?.TotalSeconds:0.00} s after the cut, first backup storage taken over at {firstTaken?.TotalSeconds:0.00} s");
        Assert.NotNull(transferGone);
        Assert.NotNull(firstTaken);
        Assert.True(transferGone < firstTaken, $"the cut-off server's transfer ran until {transferGone?.TotalSeconds:0.00} s, after the takeover at {firstTaken?.TotalSeconds:0.00} s");
        Assert.Contains("renewed no heartbeat", cut.Log, StringComparison.Ordinal);

        // The other server owns and reconnected all of them; the job ended failed; no file is left.
        await ClusterWorld.WaitAsync(async () => (await world.OwnersAsync()).All(o => o.Value == other.NodeId) && (await world.StatusesAsync()).Values.All(s => s == "Connected"));
        var poll = await world.Clients[1].SendAsync(HttpMethod.Get, "/api-jobs/" + job);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, poll.Status);
        await ImageKit.WaitForAsync(() => ImageKit.Files(dirs[target]).Count == 0, TimeSpan.FromSeconds(40));

        // The partition heals: the cut-off server learns it was declared dead, rejoins empty-handed and gets
        // its share back by hand-over, never checking a backup storage the other server still holds.
        var healed = DateTime.UtcNow;
        relay.Thaw();
        await world.SettledAsync();
        Assert.Contains("had been declared dead", cut.Log, StringComparison.Ordinal);
        await Task.Delay(TimeSpan.FromSeconds(3));
        world.AssertNoBackAndForth(healed);
    }
}
