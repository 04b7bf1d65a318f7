namespace Stowage.Persistence.Entities;

/// <summary>Rows that change after creation carry a version checked on every update (optimistic concurrency).</summary>
public interface IVersioned
{
    long Version { get; set; }

    DateTime LastOpDate { get; set; }
}

/// <summary>Every resource uuid, whatever its type: keeps uuids unique across types and lets tags find their target.</summary>
public sealed class ResourceEntity
{
    public required string Uuid { get; set; }

    public required string ResourceType { get; set; }

    public string? ResourceName { get; set; }

    public DateTime CreateDate { get; set; }
}

public sealed class ZoneEntity : IVersioned
{
    public required string Uuid { get; set; }

    public required string Name { get; set; }

    public string? Description { get; set; }

    public required string State { get; set; }

    public required string Type { get; set; }

    public bool IsDefault { get; set; }

    public DateTime CreateDate { get; set; }

    public DateTime LastOpDate { get; set; }

    public long Version { get; set; }
}

public sealed class TagEntity : IVersioned
{
    public required string Uuid { get; set; }

    public required string ResourceUuid { get; set; }

    public required string ResourceType { get; set; }

    public required string Tag { get; set; }

    /// <summary><c>User</c> or <c>System</c>.</summary>
    public required string Type { get; set; }

    public bool Inherent { get; set; }

    public DateTime CreateDate { get; set; }

    public DateTime LastOpDate { get; set; }

    public long Version { get; set; }
}

public sealed class GlobalConfigEntity : IVersioned
{
    public long Id { get; set; }

    public required string Category { get; set; }

    public required string Name { get; set; }

    public string? Description { get; set; }

    public required string DefaultValue { get; set; }

    public required string Value { get; set; }

    public DateTime LastOpDate { get; set; }

    public long Version { get; set; }
}

public sealed class AccountEntity : IVersioned
{
    public required string Uuid { get; set; }

    public required string Name { get; set; }

    /// <summary>A salted PBKDF2 hash of the client's sha512 digest; see PasswordHasher.</summary>
    public required string PasswordHash { get; set; }

    public required string Type { get; set; }

    public DateTime CreateDate { get; set; }

    public DateTime LastOpDate { get; set; }

    public long Version { get; set; }
}

public sealed class SessionEntity
{
    /// <summary>The hash of the session id (see Stowage.Server.Identity.SessionKeys); the clear id is only ever the client's.</summary>
    public required string Uuid { get; set; }

    public required string AccountUuid { get; set; }

    public required string UserUuid { get; set; }

    public DateTime CreateDate { get; set; }

    public DateTime ExpiredDate { get; set; }
}

public static class JobStates
{
    public const string Running = "Running";
    public const string Succeeded = "Succeeded";
    public const string Failed = "Failed";

    /// <summary>Failed because the user cancelled it; the job's error says so.</summary>
    public const string Canceled = "Canceled";
}

/// <summary>An async API call: persisted so any server can answer its poll and a restart can fail it cleanly.</summary>
public sealed class ApiJobEntity
{
    public required string Uuid { get; set; }

    public required string ApiName { get; set; }

    public required string State { get; set; }

    /// <summary>The hash of the session that started the job (see Stowage.Server.Identity.SessionKeys), never the clear id.</summary>
    public string? SessionUuid { get; set; }

    public required string NodeId { get; set; }

    public DateTime CreateDate { get; set; }

    public DateTime? FinishDate { get; set; }

    public long TimeoutMs { get; set; }

    public string? ResultJson { get; set; }

    public string? SchemaJson { get; set; }

    public string? ErrorJson { get; set; }

    public string? WebHook { get; set; }
}
