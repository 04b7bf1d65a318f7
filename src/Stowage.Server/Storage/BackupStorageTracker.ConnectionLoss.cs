using Stowage.Core.Config;
using Stowage.Core.Storage;

namespace Stowage.Server.Storage;

/// <summary>
/// A pooled connection that the host closes (sshd killed or restarted, host rebooting with its TCP stack
/// up) is reported by the driver at once; the backup storage is checked then instead of at its next
/// scheduled ping, so such a failure is seen in the time of one check. Silent failures (a partition, a
/// hung host) still rely on the schedule: interval + timeout.
/// </summary>
public sealed partial class BackupStorageTracker
{
    private readonly List<IConnectionWatch> _watched = [];
    private CancellationToken _watchToken;

    private void WatchConnections(CancellationToken stoppingToken)
    {
        _watchToken = stoppingToken;
        foreach (var type in connector.Drivers.Types)
        {
            if (connector.Drivers.Get(type) is IConnectionWatch watch)
            {
                watch.ConnectionLost += OnConnectionLost;
                _watched.Add(watch);
            }
        }
    }

    private void UnwatchConnections()
    {
        _watched.ForEach(w => w.ConnectionLost -= OnConnectionLost);
        _watched.Clear();
    }

    /// <summary>Checks the backup storage now, unless a round already has it pending or another server owns it.</summary>
    private void OnConnectionLost(string uuid)
    {
        var stoppingToken = _watchToken;
        if (stoppingToken.IsCancellationRequested || !ownership.Owns(uuid) || !_pending.TryAdd(uuid, 0))
        {
            return;
        }

        LogConnectionLost(logger, uuid);
        var timeout = TimeSpan.FromSeconds(configs.GetInt(CoreGlobalConfigs.PingTimeout));
        Track(Task.Run(() => CheckDueAsync(uuid, timeout, stoppingToken), CancellationToken.None));
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "backup storage {Uuid}: its connection was closed; checking it now")]
    private static partial void LogConnectionLost(ILogger logger, string uuid);
}
