using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Server.Tests.Monitoring;

/// <summary>Webhooks without a storage host: url checks and the durable outbox across a restart.</summary>
public sealed class WebhookOutboxTests
{
    private const string Secret = "s3cret-for-hmac";

    [Fact]
    public async Task A_url_on_the_servers_own_port_is_refused_and_bad_input_is_an_argument_error()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        foreach (var (url, types, expect) in new[]
        {
            ($"http://127.0.0.1:{host.BaseAddress.Port}/zstack/v1/zones", new JsonArray(), "own listening port"),
            ($"http://localhost:{host.BaseAddress.Port}/x", new JsonArray(), "own listening port"),
            ("ftp://example.invalid/x", new JsonArray(), "http"),
            ("not a url", new JsonArray(), "http"),
            ("http://127.0.0.1:9/x", new JsonArray("disconnected"), "event path"),
        })
        {
            var r = await client.CallAsync(HttpMethod.Post, "/web-hooks", new JsonObject
            {
                ["params"] = new JsonObject { ["name"] = "bad", ["url"] = url, ["eventTypes"] = types, ["secret"] = Secret },
            });
            Assert.True(r.Status == HttpStatusCode.ServiceUnavailable && r.ErrorCode == "SYS.1007", $"{url}: {r}");
            Assert.Contains(expect, r.Body, StringComparison.Ordinal);
        }

        var missing = await client.CallAsync(HttpMethod.Post, "/web-hooks", new JsonObject { ["params"] = new JsonObject { ["name"] = "x", ["url"] = "http://127.0.0.1:9/x" } });
        Assert.Equal("SYS.1007", missing.ErrorCode);
        Assert.Empty(ZStackClient.Inventories(await client.QueryAsync("/web-hooks")));
    }

    [Fact]
    public async Task A_delivery_pending_when_the_server_stops_is_sent_after_the_restart()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await receiver.DownAsync();
        var dataDir = Directory.CreateTempSubdirectory("stowage-outbox-").FullName;
        var first = await StowageHost.StartAsync(dataDir: dataDir);
        using (var client = first.Client())
        {
            await client.LoginAsync();
            var created = await client.CallAsync(HttpMethod.Post, "/web-hooks", new JsonObject
            {
                ["params"] = new JsonObject { ["name"] = "later", ["url"] = receiver.Url.AbsoluteUri, ["secret"] = Secret },
            });
            Assert.True(created.Status == HttpStatusCode.OK, created.ToString());
            await using (var db = first.Services.GetRequiredService<Stowage.Persistence.StowageDbContextFactory>().CreateDbContext())
            {
                db.BackupStorageEvents.Add(new Stowage.Persistence.Entities.BackupStorageEventEntity
                {
                    BackupStorageUuid = new string('c', 32), Path = "/backup-storage/disconnected", NewStatus = "Disconnected", Reason = "before the restart", CreateDate = DateTime.UtcNow,
                });
                await db.SaveChangesAsync();
            }

            await WebhookTests.WaitForAsync(async () => ZStackClient.Inventories(await client.QueryAsync("/web-hook-deliveries", "q=attempts>0", "q=status=Pending")).Count == 1);
        }

        // Stopped, not disposed: the second server reuses the data directory (and its database).
        await first.StopAsync();
        await receiver.UpAsync();
        await using var second = await StowageHost.StartAsync(dataDir: dataDir);
        var got = await receiver.NextAsync(TimeSpan.FromSeconds(60));
        Assert.Equal("before the restart", JsonNode.Parse(got.Body)!["reason"]!.GetValue<string>());
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), got.Body));
        Assert.Equal(expected, got.Signature);
    }

}
