using System.Text.Json;
using Stowage.Core.Errors;
using Stowage.Core.Resources;
using Stowage.Server.Cluster;
using Stowage.Server.Storage;

namespace Stowage.Server.Protocol;

/// <summary>
/// In a cluster a call about a backup storage runs on the server owning it, a call about a job on the
/// server running it, and any other serialized call (one zone, one image) on the server the hash ring
/// gives its key, so that calls on one key queue behind each other cluster-wide: any other server relays the call there and relays the answer back. A call that
/// cannot run anywhere right now (the owner died and the survivors have not taken over yet) answers 503
/// with a retryable error instead of running on the wrong server.
/// </summary>
public sealed partial class ApiDispatcher
{
    private async Task<bool> RunsElsewhereAsync(HttpContext http, ApiDescriptor api, ApiArguments args, JsonElement? root, CancellationToken ct)
    {
        var route = await RouteAsync(api, args, ct);
        switch (route)
        {
            case OwnerRoute.Remote remote when !ClusterForwarder.IsForwarded(http.Request):
                await forwarder.ForwardAsync(http, remote.NodeId, remote.Address, root);
                return true;
            case OwnerRoute.Remote remote:
                // Ownership moved while the call was on its way: the caller's retry finds the new owner.
                await ApiErrors.WriteAsync(http, StatusCodes.Status503ServiceUnavailable, Errors.Operr(
                    $"this call moved to management node[{remote.NodeId}] while it was being forwarded; retry"));
                return true;
            case OwnerRoute.Unavailable unavailable:
                await ApiErrors.WriteAsync(http, StatusCodes.Status503ServiceUnavailable, Errors.Operr(unavailable.Reason));
                return true;
            default:
                return false;
        }
    }

    private async Task<OwnerRoute> RouteAsync(ApiDescriptor api, ApiArguments args, CancellationToken ct)
    {
        if (api.RunsWhereJobRuns)
        {
            var uuid = args.String("uuid");
            var job = uuid is not null && ResourceUuid.IsValid(uuid) ? await jobs.FindAsync(uuid, ct) : null;
            return job is null || job.NodeId == node.Id || job.State != Persistence.Entities.JobStates.Running
                ? OwnerRoute.Here
                : ownership.AddressOf(job.NodeId) is { } address ? new OwnerRoute.Remote(job.NodeId, address) : OwnerRoute.Here;
        }

        var key = api.SerialKey?.Invoke(args);
        var bs = api.OwnerBackupStorage?.Invoke(args) ?? FromSerialKey(key);
        if (bs is not null && ResourceUuid.IsValid(bs))
        {
            return await ownership.RouteAsync(bs, ct);
        }

        return key is null ? OwnerRoute.Here : ownership.RouteKey(key);
    }

    private static string? FromSerialKey(string? key)
    {
        const string prefix = "bs-";
        return key is not null && key.StartsWith(prefix, StringComparison.Ordinal) ? key[prefix.Length..] : null;
    }
}
