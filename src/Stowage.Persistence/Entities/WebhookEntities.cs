namespace Stowage.Persistence.Entities;

/// <summary>A webhook subscription: backup storage events of the listed types are POSTed to its url, signed with its secret.</summary>
public sealed class WebhookEntity
{
    public required string Uuid { get; set; }

    public required string Name { get; set; }

    public string? Description { get; set; }

    public required string Url { get; set; }

    /// <summary>Event paths it receives, comma-separated; empty means every event.</summary>
    public required string EventTypes { get; set; }

    /// <summary>The HMAC secret, encrypted with the credential key ring; never returned.</summary>
    public required string SecretCipher { get; set; }

    public DateTime CreateDate { get; set; }

    public DateTime LastOpDate { get; set; }
}

/// <summary>One event to send to one webhook (the durable outbox): retried with backoff until delivered or given up.</summary>
public sealed class WebhookDeliveryEntity
{
    public long Id { get; set; }

    public required string WebhookUuid { get; set; }

    public long EventId { get; set; }

    /// <summary>Pending, Delivered or Failed.</summary>
    public required string Status { get; set; }

    public int Attempts { get; set; }

    /// <summary>When it may be tried next; a server that takes it pushes this forward first, so no other server sends it meanwhile.</summary>
    public DateTime NextAttemptDate { get; set; }

    public string? LastError { get; set; }

    public DateTime CreateDate { get; set; }

    public DateTime? LastAttemptDate { get; set; }
}
