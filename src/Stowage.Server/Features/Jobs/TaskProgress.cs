using System.Globalization;
using System.Text.Json.Nodes;
using Stowage.Core.Errors;
using Stowage.Core.Resources;
using Stowage.Persistence.Entities;
using Stowage.Server.Jobs;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Jobs;

/// <summary>
/// GetTaskProgress, ZStack's <c>GET /task-progresses/{apiId}</c>: the progress of an async API job (the
/// apiId is the job uuid). The first inventory is the job; each image transfer it runs follows as its own
/// inventory with <c>parentUuid</c> = the job. Byte facts live in <c>opaque</c>.
/// </summary>
public static class TaskProgress
{
    public const string ClassName = "org.zstack.header.core.progress.TaskProgressInventory";

    public static ApiDescriptor Api { get; } = new()
    {
        Name = "GetTaskProgress",
        Method = "GET",
        Path = "/task-progresses/{apiId}",
        Kind = ApiKind.Sync,
        ResultClass = ClassName,
        Description = "Progress of an async API job (apiId = its job uuid): the job, then one entry per image transfer with bytes, percent, rate and ETA in opaque",
        Params =
        [
            new("apiId") { InPath = true, Required = true, MaxLength = 64, Description = "job uuid of the async API call" },
            new("all", ParamType.Bool) { Default = "true", Description = "accepted for SDK compatibility; every entry is always returned" },
        ],
        Handler = HandleAsync,
    };

    private static async Task<ApiReply> HandleAsync(ApiContext ctx)
    {
        var apiId = ctx.Args.RequiredString("apiId");
        var job = ResourceUuid.IsValid(apiId) ? await ctx.Get<JobStore>().FindAsync(apiId, ctx.CancellationToken) : null;
        if (job is null)
        {
            throw ApiException.NotFound($"Cannot find job[apiId:{apiId}]: it never existed or its result has expired");
        }

        var now = ctx.Get<TimeProvider>().GetUtcNow();
        var copies = ctx.Get<TransferRegistry>().OfJob(apiId).Select(e => Copy(e, now)).ToList();
        var inventories = new List<(JsonNode?, string)> { (Job(job, copies, now), ClassName) };
        inventories.AddRange(copies.Select(c => ((JsonNode?)c.Node, ClassName)));
        return ApiReply.Inventories(inventories, null);
    }

    private sealed record CopyFacts(JsonObject Node, bool Running, long Done, long? Total, double? Rate);

    private static JsonObject Job(ApiJobEntity job, IReadOnlyList<CopyFacts> copies, DateTimeOffset now)
    {
        long? total = copies.Count > 0 && copies.All(c => c.Total is not null) ? copies.Sum(c => c.Total!.Value) : null;
        var done = copies.Sum(c => c.Done);
        var rates = copies.Where(c => c.Running && c.Rate is not null).Select(c => c.Rate!.Value).ToList();
        double? rate = rates.Count > 0 ? rates.Sum() : null;
        int? percent = job.State == JobStates.Succeeded ? 100 : Percent(done, total);
        var opaque = Facts(job.State, copies.Count > 0 ? done : null, total, percent, job.State == JobStates.Running ? rate : null);
        opaque["apiName"] = job.ApiName;
        if (job.ErrorJson is { } error)
        {
            opaque["error"] = JsonNode.Parse(error);
        }

        var time = job.FinishDate is { } f ? new DateTimeOffset(DateTime.SpecifyKind(f, DateTimeKind.Utc)) : now;
        return Inventory(job.Uuid, job.ApiName, null, percent, job.State, opaque, time);
    }

    private static CopyFacts Copy(TransferRegistry.Entry e, DateTimeOffset now)
    {
        var running = e.Finished is null;
        var state = running ? JobStates.Running
            : e.Succeeded ? JobStates.Succeeded
            : e.CancelledByUser || e.CancelledByDelete ? JobStates.Canceled : JobStates.Failed;
        var done = e.BytesDone;
        var percent = e.Succeeded ? 100 : Percent(done, e.Total);
        var rate = running ? e.Rate.BytesPerSecond() : null;
        var opaque = Facts(state, done, e.Total, percent, rate);
        opaque["imageUuid"] = e.ImageUuid;
        opaque["backupStorageUuid"] = e.BsUuid;
        var time = e.Finished is { } f ? new DateTimeOffset(f) : now;
        return new CopyFacts(Inventory(e.TaskUuid, "DownloadImage", e.JobUuid, percent, state, opaque, time), running, done, e.Total, rate);
    }

    private static JsonObject Facts(string state, long? done, long? total, int? percent, double? rate)
    {
        long? eta = rate > 0 && total is { } t && done is { } d ? (long)Math.Ceiling(Math.Max(0, t - d) / rate.Value) : null;
        return new JsonObject
        {
            ["state"] = state,
            ["bytesDone"] = done,
            ["bytesTotal"] = total,
            ["percent"] = percent,
            ["bytesPerSecond"] = rate is { } r ? (long)Math.Round(r) : null,
            ["etaSeconds"] = state == JobStates.Running ? eta : null,
        };
    }

    /// <summary>ZStack's type "Progress" carries a percent in content; without one the entry is a "Task" naming its state.</summary>
    private static JsonObject Inventory(string taskUuid, string taskName, string? parentUuid, int? percent, string state, JsonObject opaque, DateTimeOffset time) => new()
    {
        ["taskUuid"] = taskUuid,
        ["taskName"] = taskName,
        ["parentUuid"] = parentUuid,
        ["type"] = percent is null ? "Task" : "Progress",
        ["content"] = percent is { } p ? p.ToString(CultureInfo.InvariantCulture) : state,
        ["opaque"] = opaque,
        ["time"] = time.ToUnixTimeMilliseconds(),
    };

    private static int? Percent(long done, long? total) =>
        total is > 0 ? (int)Math.Min(100, done * 100 / total.Value) : null;
}
