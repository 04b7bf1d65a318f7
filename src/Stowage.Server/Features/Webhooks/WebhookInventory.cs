using Stowage.Persistence.Entities;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Webhooks;

/// <summary>A webhook as the API shows it: never its secret.</summary>
public sealed record WebhookInventory(string Uuid, string Name, string? Description, string Url, IReadOnlyList<string> EventTypes, DateTime CreateDate, DateTime LastOpDate)
{
    public const string ClassName = "org.zstack.header.webhook.WebhookInventory";

    public static WebhookInventory From(WebhookEntity e) =>
        new(e.Uuid, e.Name, e.Description, e.Url, e.EventTypes.Length == 0 ? [] : e.EventTypes.Split(','), e.CreateDate, e.LastOpDate);

    public ApiReply Reply() => ApiReply.Inventory(this, ClassName);
}

/// <summary>One delivery of one event to one webhook.</summary>
public sealed record WebhookDeliveryInventory(long Id, string WebhookUuid, long EventId, string Status, int Attempts, DateTime NextAttemptDate, string? LastError, DateTime CreateDate, DateTime? LastAttemptDate)
{
    public const string ClassName = "org.zstack.header.webhook.WebhookDeliveryInventory";

    public static WebhookDeliveryInventory From(WebhookDeliveryEntity e) =>
        new(e.Id, e.WebhookUuid, e.EventId, e.Status, e.Attempts, e.NextAttemptDate, e.LastError, e.CreateDate, e.LastAttemptDate);
}
