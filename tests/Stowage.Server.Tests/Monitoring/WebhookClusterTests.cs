using System.Net;
using System.Text.Json.Nodes;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Server.Tests.Monitoring;

/// <summary>Two servers of one PostgreSQL cluster both poll the outbox: every event is fanned out once and delivered once.</summary>
public sealed class WebhookClusterTests
{
    [Fact]
    public async Task Two_servers_deliver_each_event_exactly_once()
    {
        if (StowageHost.PostgresServer is null)
        {
            Assert.Fail("STOWAGE_TEST_POSTGRES is not set: run the tests with scripts/test.sh");
        }

        var secretDir = Directory.CreateTempSubdirectory("stowage-secret-").FullName;
        var secretFile = Path.Combine(secretDir, "cluster-secret");
        await File.WriteAllTextAsync(secretFile, Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)));
        string[] cluster = ["--cluster-heartbeat", "1", "--cluster-dead-after", "6", "--cluster-secret-file", secretFile];
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var s1 = await StowageHost.StartAsync(Db.Postgres, extraArgs: cluster);
        var s2 = await StowageHost.StartAsync(Db.Postgres, extraArgs: cluster, pgDatabase: s1.PgDatabase);
        try
        {
            using var client = s1.Client();
            await client.LoginAsync();
            var created = await client.CallAsync(HttpMethod.Post, "/web-hooks", new JsonObject
            {
                ["params"] = new JsonObject { ["name"] = "all", ["url"] = receiver.Url.AbsoluteUri, ["secret"] = "k" },
            });
            Assert.True(created.Status == HttpStatusCode.OK, created.ToString());

            // Rows added the way any code adds them (the verification helper's paths included).
            const int count = 30;
            await using (var db = s1.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext())
            {
                for (var i = 0; i < count; i++)
                {
                    db.BackupStorageEvents.Add(new BackupStorageEventEntity
                    {
                        BackupStorageUuid = new string('b', 32), Path = i % 2 == 0 ? "/backup-storage/copy/corrupted" : "/backup-storage/copy/repaired", Reason = $"event {i}", CreateDate = DateTime.UtcNow,
                    });
                }

                await db.SaveChangesAsync();
            }

            await WebhookTests.WaitForAsync(async () =>
                ZStackClient.Inventories(await client.QueryAsync("/web-hook-deliveries", "q=status=Delivered")).Count == count);
            var deliveries = ZStackClient.Inventories(await client.QueryAsync("/web-hook-deliveries"));
            Assert.Equal(count, deliveries.Count);
            Assert.All(deliveries, d => Assert.Equal(1, d!["attempts"]!.GetValue<int>()));
            var ids = new List<long>();
            while (receiver.Received.Reader.TryRead(out var got))
            {
                ids.Add(JsonNode.Parse(got.Body)!["eventId"]!.GetValue<long>());
            }

            Assert.Equal(count, ids.Count);
            Assert.Equal(count, ids.Distinct().Count());
        }
        finally
        {
            await s2.StopAsync();
            Directory.Delete(s2.DataDir, recursive: true);
            Directory.Delete(secretDir, recursive: true);
        }
    }
}
