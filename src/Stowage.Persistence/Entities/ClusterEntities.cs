namespace Stowage.Persistence.Entities;

/// <summary>
/// A management server of the cluster. Its heartbeat is written with the database's clock, so liveness
/// never depends on the servers' clocks agreeing.
/// </summary>
public sealed class ManagementNodeEntity
{
    public required string Id { get; set; }

    /// <summary>Base URL other servers forward API calls to, e.g. <c>http://10.0.0.5:8080</c>.</summary>
    public required string Address { get; set; }

    public DateTime JoinDate { get; set; }

    public DateTime HeartbeatDate { get; set; }
}

/// <summary>
/// One key of the servers' shared Data Protection key ring (the keys that encrypt storage credentials),
/// itself encrypted with the cluster secret that only the servers hold, never the database.
/// </summary>
public sealed class DataProtectionKeyEntity
{
    public long Id { get; set; }

    public required string FriendlyName { get; set; }

    public required string Xml { get; set; }
}
