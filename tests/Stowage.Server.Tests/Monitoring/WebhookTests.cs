using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Monitoring;

/// <summary>Issue 19 item 5: a webhook subscribed to Disconnected receives a signed event when the sshd dies, and the retry path delivers after the receiver comes back.</summary>
public sealed class WebhookTests : IAsyncLifetime
{
    private const string Secret = "s3cret-for-hmac";
    private readonly SshdFixture _sshd = new();

    public Task InitializeAsync() => _sshd.InitializeAsync();

    public Task DisposeAsync() => _sshd.DisposeAsync();

    [Fact]
    public async Task A_signed_Disconnected_event_arrives_and_a_failed_delivery_is_retried_once_the_receiver_is_back()
    {
        await using var receiver = await WebhookReceiver.StartAsync();
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var bs = await BsKit.AddOkAsync(client, _sshd, _sshd.NewPath());
        Assert.Equal(HttpStatusCode.OK, (await client.UpdateGlobalConfigAsync("backupStorage", "ping.timeout", "2")).Status);
        Assert.Equal(HttpStatusCode.OK, (await client.UpdateGlobalConfigAsync("backupStorage", "ping.interval", "1")).Status);
        var created = await client.CallAsync(HttpMethod.Post, "/web-hooks", new JsonObject
        {
            ["params"] = new JsonObject { ["name"] = "ops", ["url"] = receiver.Url.AbsoluteUri, ["eventTypes"] = new JsonArray("/backup-storage/disconnected"), ["secret"] = Secret },
        });
        Assert.True(created.Status == HttpStatusCode.OK, created.ToString());
        Assert.DoesNotContain(Secret, created.Body, StringComparison.Ordinal);
        var hook = created.Json!["inventory"]!["uuid"]!.GetValue<string>();

        // Within one ping interval (plus the ping timeout and the dispatcher's 1 s poll): the bound is generous for a loaded machine.
        var sw = Stopwatch.StartNew();
        _sshd.Stop();
        var first = await receiver.NextAsync(TimeSpan.FromSeconds(30));
        var measured = sw.Elapsed;
        AssertSigned(first, bs);
        Assert.True(measured < TimeSpan.FromSeconds(30), $"arrived after {measured}");

        // Receiver down, host back then down again: the delivery fails, is recorded with its error, and is retried.
        await receiver.DownAsync();
        await _sshd.StartAsync();
        await WaitForAsync(async () => (await BsKit.GetAsync(client, bs))["status"]!.GetValue<string>() == "Connected");
        _sshd.Stop();
        await WaitForAsync(async () =>
        {
            var rows = ZStackClient.Inventories(await client.QueryAsync("/web-hook-deliveries", $"q=webhookUuid={hook}", "q=attempts>0", "q=status=Pending"));
            return rows.Count == 1 && rows[0]!["lastError"] is not null;
        });
        await receiver.UpAsync();
        var retried = await receiver.NextAsync(TimeSpan.FromSeconds(60));
        AssertSigned(retried, bs);
        await WaitForAsync(async () =>
        {
            var rows = ZStackClient.Inventories(await client.QueryAsync("/web-hook-deliveries", $"q=webhookUuid={hook}"));
            return rows.Count == 2 && rows.All(r => r!["status"]!.GetValue<string>() == "Delivered");
        });

        // The events are queryable too, and the secret is nowhere in the webhook's inventory or row.
        var events = ZStackClient.Inventories(await client.QueryAsync("/backup-storage/events", $"q=backupStorageUuid={bs}", "q=path=/backup-storage/disconnected"));
        Assert.Equal(2, events.Count);
        var queried = await client.QueryAsync("/web-hooks", $"q=uuid={hook}");
        Assert.DoesNotContain(Secret, queried.Body, StringComparison.Ordinal);
        await using var db = host.Services.GetRequiredService<Stowage.Persistence.StowageDbContextFactory>().CreateDbContext();
        Assert.DoesNotContain(Secret, db.Webhooks.Single().SecretCipher, StringComparison.Ordinal);
    }

    private static void AssertSigned((byte[] Body, string? Signature, string? Event) got, string bs)
    {
        var expected = "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(Secret), got.Body));
        Assert.Equal(expected, got.Signature);
        Assert.Equal("/backup-storage/disconnected", got.Event);
        var json = JsonNode.Parse(got.Body)!;
        Assert.Equal("/backup-storage/disconnected", json["path"]!.GetValue<string>());
        Assert.Equal(bs, json["backupStorageUuid"]!.GetValue<string>());
        Assert.Equal("Disconnected", json["newStatus"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(json["reason"]?.GetValue<string>()));
    }

    internal static async Task WaitForAsync(Func<Task<bool>> condition)
    {
        var sw = Stopwatch.StartNew();
        while (!await condition())
        {
            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), "condition not met within 60 s");
            await Task.Delay(100);
        }
    }
}
