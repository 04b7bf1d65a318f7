using Stowage.Persistence.Entities;
using Stowage.Persistence.Query;
using Stowage.Server.Hosting;
using Stowage.Server.Protocol;

namespace Stowage.Server.Cluster;

/// <summary>A management server of the cluster as the API shows it (ZStack's ManagementNodeInventory, plus its address).</summary>
public sealed record ManagementNodeInventory(string Uuid, string HostName, string Address, DateTime JoinDate, DateTime HeartBeat, string State)
{
    public const string ClassName = "org.zstack.header.managementnode.ManagementNodeInventory";

    /// <summary><c>RUNNING</c> while its heartbeat is younger than <c>--cluster-dead-after</c>, else <c>UNREACHABLE</c> (about to be reaped).</summary>
    public static ManagementNodeInventory From(ManagementNodeEntity n, TimeSpan deadAfter, DateTime now) =>
        new(n.Id, Uri.TryCreate(n.Address, UriKind.Absolute, out var uri) ? uri.Host : n.Address, n.Address, n.JoinDate, n.HeartbeatDate,
            now - n.HeartbeatDate < deadAfter ? "RUNNING" : "UNREACHABLE");
}

/// <summary>QueryManagementNode (<c>GET /management-nodes</c>): the servers of the cluster; empty on a single SQLite server.</summary>
public sealed class ClusterFeature(StowageSettings settings, TimeProvider clock) : IApiFeature
{
    public static QueryResource Query { get; } = new QueryResource<ManagementNodeEntity>("managementNode", "ManagementNodeInventory", "management_nodes", null)
    {
        KeyColumn = "id",
        Fields =
        [
            new("uuid", "id"), new("hostName", "address"), new("address", "address"),
            new("joinDate", "join_date", FieldType.Date), new("heartBeat", "heartbeat_date", FieldType.Date),
        ],
    };

    public IEnumerable<ApiDescriptor> Apis =>
        QueryApi.Define("QueryManagementNode", "/management-nodes", "managementNode", ManagementNodeInventory.ClassName,
            (_, rows, _) => Task.FromResult<IReadOnlyList<object>>(
                [.. rows.Cast<ManagementNodeEntity>().Select(n => ManagementNodeInventory.From(n, settings.Cluster.DeadAfter, clock.GetUtcNow().UtcDateTime))]),
            "Query the management servers of the cluster (PostgreSQL): address, join time, last heartbeat and whether it is RUNNING");
}
