namespace Stowage.Core.Config;

/// <summary>
/// The registry of every global config the server knows. Features add their definitions at start-up;
/// the store seeds the database from it and validates updates against it.
/// </summary>
public sealed class GlobalConfigCatalog
{
    private readonly Dictionary<string, GlobalConfigDefinition> _definitions = new(StringComparer.Ordinal);

    public GlobalConfigCatalog(IEnumerable<GlobalConfigDefinition> definitions)
    {
        foreach (var d in definitions)
        {
            if (!_definitions.TryAdd(d.Key, d))
            {
                throw new InvalidOperationException($"global config {d.Key} is defined twice");
            }

            if (d.Validate(d.DefaultValue) is { } error)
            {
                throw new InvalidOperationException($"default of {d.Key} is invalid: {error}");
            }
        }
    }

    public IEnumerable<GlobalConfigDefinition> All => _definitions.Values;

    public GlobalConfigDefinition? Find(string category, string name) =>
        _definitions.GetValueOrDefault(category + "/" + name);
}

/// <summary>The configs this foundation owns. Backup-storage features reuse the backupStorage ones.</summary>
public static class CoreGlobalConfigs
{
    public static readonly GlobalConfigDefinition SessionTimeout = new(
        "identity", "session.timeout", "Seconds a session stays valid after login", "7200", GlobalConfigType.Long, NumberGreaterThan: 1);

    public static readonly GlobalConfigDefinition PingInterval = new(
        "backupStorage", "ping.interval", "Seconds between two pings of a backup storage; also the reconnect delay", "60", GlobalConfigType.Int, NumberGreaterThan: 1);

    public static readonly GlobalConfigDefinition PingParallelism = new(
        "backupStorage", "ping.parallelismDegree", "Maximum pings in flight at once on one management server", "50", GlobalConfigType.Int, NumberGreaterThan: 1);

    public static readonly GlobalConfigDefinition PingTimeout = new(
        "backupStorage", "ping.timeout", "Seconds a ping may take before the backup storage counts as Disconnected", "10", GlobalConfigType.Int, NumberGreaterThan: 1, NumberLessThan: 3600);

    public static readonly GlobalConfigDefinition ReservedCapacity = new(
        "backupStorage", "reservedCapacity", "Capacity kept free on every backup storage when allocating", "1G", GlobalConfigType.SizeString);

    public static readonly GlobalConfigDefinition AutoReconnect = new(
        "backupStorage", "connection.autoReconnectOnError", "Reconnect a disconnected backup storage automatically", "true", GlobalConfigType.Bool);

    public static readonly GlobalConfigDefinition AutoReconnectMaxAttempts = new(
        "backupStorage", "connection.autoReconnectOnError.maxAttemptsNum", "Consecutive failed reconnects before giving up; 0 means never give up", "0", GlobalConfigType.Int, NumberGreaterThan: 0);

    public static readonly GlobalConfigDefinition JobResultRetention = new(
        "api", "job.resultRetention", "Seconds a finished API job result stays available for polling", "3600", GlobalConfigType.Long, NumberGreaterThan: 3600);

    public static IEnumerable<GlobalConfigDefinition> All =>
    [
        SessionTimeout, PingInterval, PingParallelism, PingTimeout, ReservedCapacity,
        AutoReconnect, AutoReconnectMaxAttempts, JobResultRetention,
    ];
}
