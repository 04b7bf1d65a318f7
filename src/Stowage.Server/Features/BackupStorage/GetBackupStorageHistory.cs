using System.Text.Json.Nodes;
using Stowage.Server.Features.Common;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.BackupStorage;

/// <summary>
/// Stowage's own read-only API (not ZStack's), for the web console's chart: the last samples of one backup
/// storage's capacity and ping latency, oldest first, from <see cref="PingHistory"/>. In memory on the server
/// that owns the backup storage (the call is routed there in a cluster); empty after a restart until pings run.
/// </summary>
public static class GetBackupStorageHistory
{
    public static ApiDescriptor Api { get; } = new()
    {
        Name = "GetBackupStorageHistory",
        Method = "GET",
        Path = "/backup-storage/ping-history",
        Kind = ApiKind.Sync,
        Description = $"Recent capacity and ping-latency samples of one backup storage (at most {PingHistory.Capacity}, oldest first; in memory, since this server started)",
        Params =
        [
            new("uuid") { Required = true, Pattern = CommonPatterns.Uuid(), PatternText = "32 lowercase hex characters", ResourceType = "BackupStorageVO", Description = "backup storage uuid" },
        ],
        OwnerBackupStorage = a => a.String("uuid"),
        Handler = ctx =>
        {
            var samples = new JsonArray();
            foreach (var s in ctx.Get<PingStats>().History.Samples(ctx.Args.String("uuid")!))
            {
                samples.Add(new JsonObject
                {
                    ["time"] = s.Time.ToUnixTimeMilliseconds(),
                    ["totalCapacity"] = s.TotalCapacity,
                    ["availableCapacity"] = s.AvailableCapacity,
                    ["latencyMs"] = s.LatencyMs,
                    ["ok"] = s.Ok,
                });
            }

            return Task.FromResult(ApiReply.Of(new JsonObject { ["samples"] = samples, ["capacity"] = PingHistory.Capacity }));
        },
    };
}
