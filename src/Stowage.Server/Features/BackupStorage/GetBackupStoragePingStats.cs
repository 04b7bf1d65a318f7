using System.Text.Json;
using System.Text.Json.Nodes;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.BackupStorage;

/// <summary>
/// Stowage's own read-only view of the ping tracker on this management server (not a ZStack API): rounds,
/// pings, reconnects, pings in flight (now and at most) and the last round's start, wall time, size and failed checks.
/// Used by the scale benchmark and for diagnosing slow rounds.
/// </summary>
public static class GetBackupStoragePingStats
{
    public static ApiDescriptor Api { get; } = new()
    {
        Name = "GetBackupStoragePingStats",
        Method = "GET",
        Path = "/backup-storage/ping-stats",
        Kind = ApiKind.Sync,
        Description = "Counters of this server's backup storage ping tracker: rounds, pings, reconnects, pings in flight, last round's duration",
        Handler = ctx =>
        {
            var stats = ctx.Get<PingStats>();
            var body = new JsonObject
            {
                ["rounds"] = stats.Rounds,
                ["pings"] = stats.Pings,
                ["reconnects"] = stats.Reconnects,
                ["inFlight"] = stats.InFlight,
                ["maxInFlight"] = stats.MaxInFlight,
            };
            if (stats.LastRound is { } last)
            {
                body["lastRoundStartDate"] = JsonSerializer.SerializeToNode(last.Started.UtcDateTime, ZStackJson.Options);
                body["lastRoundDurationMs"] = Math.Round(last.Duration.TotalMilliseconds, 1);
                body["lastRoundBackupStorages"] = last.Checked;
                body["lastRoundFailures"] = stats.LastRoundFailures;
            }

            return Task.FromResult(ApiReply.Of(body));
        },
    };
}
