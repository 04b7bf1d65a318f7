using Microsoft.AspNetCore.DataProtection;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Persistence.Query;
using Stowage.Server.Features.Common;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Webhooks;

/// <summary>
/// CreateWebhook, UpdateWebhook, DeleteWebhook, QueryWebhook and QueryWebhookDelivery: an admin subscribes a url to
/// backup storage events; <see cref="WebhookDispatcher"/> delivers them, signed with the webhook's secret.
/// </summary>
public sealed class WebhookFeature : IApiFeature
{
    public const string Path = "/web-hooks";
    public const int MaxWebhooks = 100;

    public static QueryResource Query { get; } = new QueryResource<WebhookEntity>("webhook", "WebhookInventory", "webhooks", null)
    {
        Fields =
        [
            new("uuid", "uuid"), new("name", "name"), new("description", "description"), new("url", "url"), new("eventTypes", "event_types"),
            new("createDate", "create_date", FieldType.Date), new("lastOpDate", "last_op_date", FieldType.Date),
        ],
    };

    public static QueryResource DeliveryQuery { get; } = new QueryResource<WebhookDeliveryEntity>("webhookDelivery", "WebhookDeliveryInventory", "webhook_deliveries", null)
    {
        KeyColumn = "id",
        Fields =
        [
            new("id", "id", FieldType.Long), new("webhookUuid", "webhook_uuid"), new("eventId", "event_id", FieldType.Long), new("status", "status"),
            new("attempts", "attempts", FieldType.Int), new("nextAttemptDate", "next_attempt_date", FieldType.Date), new("lastError", "last_error"),
            new("createDate", "create_date", FieldType.Date), new("lastAttemptDate", "last_attempt_date", FieldType.Date),
        ],
    };

    private static readonly ParamSpec Uuid = new("uuid") { InPath = true, Required = true, Pattern = CommonPatterns.Uuid(), PatternText = "32 lowercase hex characters", Description = "webhook uuid" };
    private static readonly ParamSpec Description = new("description") { MaxLength = 2048, Description = "free text" };
    private static readonly ParamSpec EventTypes = new("eventTypes", ParamType.StringList)
    {
        Description = "event paths to receive (e.g. /backup-storage/disconnected, /backup-storage/capacity/threshold-crossed); empty or absent: every event",
    };

    public static void AddWebhooks(IServiceCollection services)
    {
        services.AddSingleton<IApiFeature, WebhookFeature>();
        services.AddSingleton<WebhookSecrets>();
        services.AddSingleton<WebhookDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<WebhookDispatcher>());
        services.AddHttpClient(WebhookDispatcher.ClientName, c => c.Timeout = TimeSpan.FromSeconds(10))
            .ConfigurePrimaryHttpMessageHandler(() => new HttpClientHandler { AllowAutoRedirect = false });
    }

    public IEnumerable<ApiDescriptor> Apis =>
    [
        new()
        {
            Name = "CreateWebhook", Method = "POST", Path = Path, BodyKey = "params", ResultClass = WebhookInventory.ClassName, SerialKey = _ => "webhooks",
            Description = "Subscribe a url to backup storage events: each is POSTed as JSON with an X-Stowage-Signature header (sha256=HMAC-SHA256 of the body under secret), retried with backoff until delivered",
            Params =
            [
                new("name") { Required = true, MaxLength = 255, EmptyString = false, Description = "webhook name" },
                Description,
                new("url") { Required = true, MaxLength = 2048, EmptyString = false, Description = "http(s) url the events are POSTed to; never this server's own port" },
                EventTypes,
                new("secret") { Required = true, MaxLength = 1024, NoTrim = true, Secret = true, EmptyString = false, Description = "HMAC-SHA256 key of the signature header; stored encrypted, never returned" },
                new("resourceUuid") { Pattern = CommonPatterns.Uuid(), PatternText = "32 lowercase hex characters", Description = "uuid to give the webhook" },
            ],
            Handler = CreateAsync,
        },
        new()
        {
            Name = "UpdateWebhook", Method = "PUT", Path = Path + "/{uuid}/actions", BodyKey = "updateWebhook", ResultClass = WebhookInventory.ClassName, SerialKey = _ => "webhooks",
            Description = "Change a webhook's name, description, url, event types or secret",
            Params =
            [
                Uuid, new("name") { MaxLength = 255, EmptyString = false, Description = "new name" }, Description,
                new("url") { MaxLength = 2048, EmptyString = false, Description = "new url" }, EventTypes,
                new("secret") { MaxLength = 1024, NoTrim = true, Secret = true, EmptyString = false, Description = "new secret" },
            ],
            Handler = UpdateAsync,
        },
        new()
        {
            Name = "DeleteWebhook", Method = "DELETE", Path = Path + "/{uuid}", SerialKey = _ => "webhooks",
            Description = "Delete a webhook and its pending deliveries; deleting one that does not exist succeeds",
            Params = [Uuid],
            Handler = async ctx =>
            {
                var uuid = ctx.Args.RequiredString("uuid");
                await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
                await db.Webhooks.Where(w => w.Uuid == uuid).ExecuteDeleteAsync(ctx.CancellationToken);
                return ApiReply.Empty();
            },
        },
        .. QueryApi.Define("QueryWebhook", Path, "webhook", WebhookInventory.ClassName,
            (_, rows, _) => Task.FromResult<IReadOnlyList<object>>([.. rows.Cast<WebhookEntity>().Select(WebhookInventory.From)]),
            "Query webhooks (the secret is never returned)"),
        .. QueryApi.Define("QueryWebhookDelivery", "/web-hook-deliveries", "webhookDelivery", WebhookDeliveryInventory.ClassName,
            (_, rows, _) => Task.FromResult<IReadOnlyList<object>>([.. rows.Cast<WebhookDeliveryEntity>().Select(WebhookDeliveryInventory.From)]),
            "Query webhook deliveries: Pending (waiting or retrying, nextAttemptDate), Delivered, or Failed (gave up after webhook/delivery.maxAttempts, or dropped from a full queue) with lastError"),
    ];

    private static async Task<ApiReply> CreateAsync(ApiContext ctx)
    {
        var ct = ctx.CancellationToken;
        var url = WebhookRules.CheckUrl(ctx.Services, ctx.Args.RequiredString("url"));
        var types = WebhookRules.EventTypes(ctx.Args.List("eventTypes"));
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        if (await db.Webhooks.CountAsync(ct) >= MaxWebhooks)
        {
            throw ApiException.Operation($"there are already {MaxWebhooks} webhooks; delete one first");
        }

        var uuid = ctx.Args.String("resourceUuid") ?? Core.Resources.ResourceUuid.New();
        if (await db.Webhooks.AnyAsync(w => w.Uuid == uuid, ct))
        {
            throw ApiException.Argument($"webhook[uuid:{uuid}] already exists");
        }

        var now = ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime;
        var row = new WebhookEntity
        {
            Uuid = uuid, Name = ctx.Args.RequiredString("name"), Description = ctx.Args.String("description"), Url = url.AbsoluteUri,
            EventTypes = string.Join(',', types), SecretCipher = ctx.Get<WebhookSecrets>().Protect(ctx.Args.RequiredString("secret")), CreateDate = now, LastOpDate = now,
        };
        db.Webhooks.Add(row);
        await db.SaveChangesAsync(ct);
        return WebhookInventory.From(row).Reply();
    }

    private static async Task<ApiReply> UpdateAsync(ApiContext ctx)
    {
        var ct = ctx.CancellationToken;
        var uuid = ctx.Args.RequiredString("uuid");
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        var row = await db.Webhooks.FirstOrDefaultAsync(w => w.Uuid == uuid, ct) ?? throw ApiException.NotFound($"Cannot find webhook[uuid:{uuid}], it may have been deleted");
        row.Name = ctx.Args.String("name") ?? row.Name;
        row.Description = ctx.Args.Has("description") ? ctx.Args.String("description") : row.Description;
        if (ctx.Args.String("url") is { } url)
        {
            row.Url = WebhookRules.CheckUrl(ctx.Services, url).AbsoluteUri;
        }

        if (ctx.Args.Has("eventTypes"))
        {
            row.EventTypes = string.Join(',', WebhookRules.EventTypes(ctx.Args.List("eventTypes")));
        }

        if (ctx.Args.String("secret") is { } secret)
        {
            row.SecretCipher = ctx.Get<WebhookSecrets>().Protect(secret);
        }

        row.LastOpDate = ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime;
        await db.SaveChangesAsync(ct);
        return WebhookInventory.From(row).Reply();
    }
}

/// <summary>Webhook secrets at rest: Data Protection with the key ring that protects storage credentials (shared by a cluster).</summary>
public sealed class WebhookSecrets(IDataProtectionProvider provider)
{
    private readonly IDataProtector _protector = provider.CreateProtector("Stowage.WebhookSecret.v1");

    public string Protect(string secret) => _protector.Protect(secret);

    public string Unprotect(string cipher) => _protector.Unprotect(cipher);
}
