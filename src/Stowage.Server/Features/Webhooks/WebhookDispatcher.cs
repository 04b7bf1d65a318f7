using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Config;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.GlobalConfigs;
using Stowage.Server.Monitoring;

namespace Stowage.Server.Features.Webhooks;

/// <summary>
/// Delivers backup storage events to webhooks through a durable outbox, so a restart loses nothing:
/// <list type="number">
/// <item><b>Fan-out.</b> Every event row is inserted with <c>delivery_pending</c> set. Each round, the dispatcher clears
/// the flag by a conditional update (<c>… WHERE id = @id AND delivery_pending</c>) and, in the same transaction, inserts
/// one <c>webhook_deliveries</c> row per matching webhook; two servers never both fan out an event (the second
/// update finds the flag cleared).</item>
/// <item><b>Delivery.</b> A due Pending delivery is taken by moving its <c>next_attempt_date</c> forward by
/// <see cref="ClaimFor"/> with a conditional update on the old value, so one server sends it; a server that dies
/// while sending lets it fall due again. Success (2xx) marks it Delivered; a failure retries after 1 s, 2 s, 4 s …
/// (at most 5 min) until <c>webhook/delivery.maxAttempts</c>, then Failed.</item>
/// <item><b>Bounds.</b> At most <see cref="MaxPending"/> deliveries wait; past that the oldest are marked Failed
/// ("dropped"). Events and their deliveries go with <c>backupStorage/event.retention</c>.</item>
/// </list>
/// </summary>
public sealed partial class WebhookDispatcher(
    StowageDbContextFactory dbFactory,
    GlobalConfigStore configs,
    WebhookSecrets secrets,
    IHttpClientFactory httpFactory,
    IServer server,
    StowageMetrics metrics,
    TimeProvider clock,
    ILogger<WebhookDispatcher> logger) : BackgroundService
{
    public const string ClientName = "webhooks";
    public const int MaxPending = 10_000;
    public static readonly TimeSpan ClaimFor = TimeSpan.FromMinutes(2);
    public static readonly TimeSpan MaxBackoff = TimeSpan.FromMinutes(5);

    public static readonly GlobalConfigDefinition MaxAttempts = new(
        "webhook", "delivery.maxAttempts", "Attempts to deliver one event to one webhook before it is marked Failed (retries back off 1 s, 2 s, 4 s … up to 5 min)",
        "10", GlobalConfigType.Int, NumberGreaterThan: 1, NumberLessThan: 100);

    /// <summary>How often the outbox is read when nothing woke the dispatcher.</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await FanOutAsync(stoppingToken);
                await DeliverDueAsync(stoppingToken);
            }
            catch (Exception e) when (e is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                LogRoundFailed(logger, e);
            }

            try
            {
                await Task.Delay(PollInterval, clock, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Turns up to 200 new events into deliveries; answers how many events it took.</summary>
    public async Task<int> FanOutAsync(CancellationToken ct)
    {
        await using var db = dbFactory.CreateDbContext();
        var fresh = await db.BackupStorageEvents.AsNoTracking().Where(e => e.DeliveryPending).OrderBy(e => e.Id).Take(200).ToListAsync(ct);
        if (fresh.Count == 0)
        {
            return 0;
        }

        var hooks = await db.Webhooks.AsNoTracking().Select(w => new { w.Uuid, w.EventTypes }).ToListAsync(ct);
        var now = clock.GetUtcNow().UtcDateTime;
        var taken = 0;
        await using (var tx = await db.Database.BeginTransactionAsync(ct))
        {
            foreach (var e in fresh)
            {
                if (await db.BackupStorageEvents.Where(x => x.Id == e.Id && x.DeliveryPending).ExecuteUpdateAsync(s => s.SetProperty(x => x.DeliveryPending, false), ct) == 0)
                {
                    continue;
                }

                taken++;
                foreach (var h in hooks.Where(h => WebhookRules.Matches(h.EventTypes, e.Path)))
                {
                    db.WebhookDeliveries.Add(new WebhookDeliveryEntity
                    {
                        WebhookUuid = h.Uuid, EventId = e.Id, Status = WebhookDeliveryStatus.Pending, NextAttemptDate = now, CreateDate = now,
                    });
                }
            }

            await db.SaveChangesAsync(ct);
            await tx.CommitAsync(ct);
        }

        await DropOverflowAsync(db, ct);
        return taken;
    }

    private async Task DropOverflowAsync(StowageDbContext db, CancellationToken ct)
    {
        var pending = await db.WebhookDeliveries.CountAsync(d => d.Status == WebhookDeliveryStatus.Pending, ct);
        if (pending <= MaxPending)
        {
            return;
        }

        var oldest = await db.WebhookDeliveries.Where(d => d.Status == WebhookDeliveryStatus.Pending).OrderBy(d => d.Id).Take(pending - MaxPending).Select(d => d.Id).ToListAsync(ct);
        var dropped = await db.WebhookDeliveries.Where(d => oldest.Contains(d.Id) && d.Status == WebhookDeliveryStatus.Pending).ExecuteUpdateAsync(s => s
            .SetProperty(d => d.Status, WebhookDeliveryStatus.Failed).SetProperty(d => d.LastError, $"dropped: more than {MaxPending} deliveries were waiting"), ct);
        metrics.WebhookDeliveries.WithLabels("dropped").Inc(dropped);
        LogDropped(logger, dropped);
    }

    /// <summary>Sends the due deliveries this server takes (up to 8 at once); answers how many it attempted.</summary>
    public async Task<int> DeliverDueAsync(CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        List<WebhookDeliveryEntity> due;
        await using (var db = dbFactory.CreateDbContext())
        {
            due = await db.WebhookDeliveries.AsNoTracking().Where(d => d.Status == WebhookDeliveryStatus.Pending && d.NextAttemptDate <= now)
                .OrderBy(d => d.NextAttemptDate).Take(32).ToListAsync(ct);
        }

        var attempted = 0;
        await Parallel.ForEachAsync(due, new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ct }, async (d, token) =>
        {
            if (await ClaimAsync(d, now, token))
            {
                Interlocked.Increment(ref attempted);
                await AttemptAsync(d, token);
            }
        });
        return attempted;
    }

    private async Task<bool> ClaimAsync(WebhookDeliveryEntity d, DateTime now, CancellationToken ct)
    {
        var old = d.NextAttemptDate;
        await using var db = dbFactory.CreateDbContext();
        return await db.WebhookDeliveries.Where(x => x.Id == d.Id && x.Status == WebhookDeliveryStatus.Pending && x.NextAttemptDate == old)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.NextAttemptDate, now + ClaimFor), ct) == 1;
    }

    private async Task AttemptAsync(WebhookDeliveryEntity d, CancellationToken ct)
    {
        string? error;
        await using (var db = dbFactory.CreateDbContext())
        {
            var hook = await db.Webhooks.AsNoTracking().FirstOrDefaultAsync(w => w.Uuid == d.WebhookUuid, ct);
            var ev = await db.BackupStorageEvents.AsNoTracking().FirstOrDefaultAsync(e => e.Id == d.EventId, ct);
            if (hook is null || ev is null)
            {
                return;
            }

            var bsName = await db.BackupStorages.AsNoTracking().Where(b => b.Uuid == ev.BackupStorageUuid).Select(b => b.Name).FirstOrDefaultAsync(ct);
            error = await SendAsync(hook, ev, bsName, d.Id, ct);
        }

        var attempts = d.Attempts + 1;
        var max = configs.GetInt(MaxAttempts);
        var now = clock.GetUtcNow().UtcDateTime;
        var status = error is null ? WebhookDeliveryStatus.Delivered : attempts >= max ? WebhookDeliveryStatus.Failed : WebhookDeliveryStatus.Pending;
        var next = now + Backoff(attempts);
        await using (var db = dbFactory.CreateDbContext())
        {
            await db.WebhookDeliveries.Where(x => x.Id == d.Id).ExecuteUpdateAsync(s => s
                .SetProperty(x => x.Status, status).SetProperty(x => x.Attempts, attempts).SetProperty(x => x.LastError, error)
                .SetProperty(x => x.LastAttemptDate, now).SetProperty(x => x.NextAttemptDate, next), CancellationToken.None);
        }

        metrics.WebhookDeliveries.WithLabels(error is null ? "delivered" : "failed").Inc();
        if (error is not null)
        {
            LogAttemptFailed(logger, d.Id, d.WebhookUuid, attempts, error);
        }
    }

    public static TimeSpan Backoff(int attempts) =>
        TimeSpan.FromSeconds(Math.Min(MaxBackoff.TotalSeconds, Math.Pow(2, Math.Min(attempts - 1, 20))));

    /// <summary>POSTs the signed event; answers null on a 2xx, else why not. The url is checked again: the server's ports may have changed.</summary>
    private async Task<string?> SendAsync(WebhookEntity hook, BackupStorageEventEntity ev, string? bsName, long deliveryId, CancellationToken ct)
    {
        var url = new Uri(hook.Url);
        if (WebhookRules.PointsAtSelf(url, server.Features.Get<IServerAddressesFeature>()?.Addresses ?? []))
        {
            return "the url points at this server's own listening port";
        }

        var body = JsonSerializer.SerializeToUtf8Bytes(new WebhookPayload(
            ev.Id, ev.Path, ev.BackupStorageUuid, bsName, ev.OldStatus, ev.NewStatus, ev.Reason, ev.CreateDate.ToString("O", CultureInfo.InvariantCulture), hook.Uuid, deliveryId), PayloadJson);
        using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Add(WebhookRules.SignatureHeader, WebhookRules.Sign(secrets.Unprotect(hook.SecretCipher), body));
        request.Headers.Add(WebhookRules.EventHeader, ev.Path);
        request.Headers.Add(WebhookRules.DeliveryHeader, deliveryId.ToString(CultureInfo.InvariantCulture));
        try
        {
            using var response = await httpFactory.CreateClient(ClientName).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            return response.IsSuccessStatusCode ? null : $"the receiver answered HTTP {(int)response.StatusCode}";
        }
        catch (HttpRequestException e)
        {
            return $"cannot reach the receiver: {e.Message}";
        }
        catch (TaskCanceledException) when (!ct.IsCancellationRequested)
        {
            return "the receiver did not answer within 10 s";
        }
    }

    private static readonly JsonSerializerOptions PayloadJson = new(JsonSerializerDefaults.Web);

    private sealed record WebhookPayload(
        long EventId, string Path, string BackupStorageUuid, string? BackupStorageName, string? OldStatus, string? NewStatus, string? Reason, string CreateDate, string WebhookUuid, long DeliveryId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "webhook delivery {Delivery} to webhook {Webhook} failed (attempt {Attempts}): {Reason}")]
    private static partial void LogAttemptFailed(ILogger logger, long delivery, string webhook, int attempts, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "webhook queue full: dropped the {Count} oldest pending deliveries")]
    private static partial void LogDropped(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "webhook round failed")]
    private static partial void LogRoundFailed(ILogger logger, Exception exception);
}
