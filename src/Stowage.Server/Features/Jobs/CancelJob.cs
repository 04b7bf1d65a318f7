using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Resources;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Hosting;
using Stowage.Server.Jobs;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Jobs;

/// <summary>
/// CancelLongJob on an async API job: <c>PUT /api-jobs/{uuid}/actions {"cancelLongJob": {}}</c>. A waiting
/// job ends at once; a running one has its transfers stopped (remote process killed, partial file removed,
/// reservation returned) and then its token cancelled. The call answers once the job has ended (bounded),
/// so a poll right after it sees the cancel error.
/// </summary>
public static class CancelJob
{
    public const string BodyKey = "cancelLongJob";

    private static readonly TimeSpan TransferWait = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan JobWait = TimeSpan.FromSeconds(30);

    public static ApiDescriptor Api { get; } = new()
    {
        Name = "CancelApiJob",
        Method = "PUT",
        Path = "/api-jobs/{uuid}/actions",
        BodyKey = BodyKey,
        Kind = ApiKind.Sync,
        Description = "Cancel a waiting or running async API job (its owner or an admin); the job then fails with a 'cancelled by the user' error",
        Params = [new("uuid") { InPath = true, Required = true, MaxLength = 64, Description = "job uuid (the apiId of the async call)" }],
        RunsWhereJobRuns = true,
        Handler = HandleAsync,
    };

    private static Task<ApiReply> HandleAsync(ApiContext ctx) => CancelAsync(ctx, ctx.Args.RequiredString("uuid"));

    /// <summary>Cancels job <paramref name="uuid"/> for the caller of <paramref name="ctx"/> (CancelLongJob on either path).</summary>
    public static async Task<ApiReply> CancelAsync(ApiContext ctx, string uuid)
    {
        var ct = ctx.CancellationToken;
        var store = ctx.Get<JobStore>();
        var job = ResourceUuid.IsValid(uuid) ? await store.FindAsync(uuid, ct) : null;
        if (job is null)
        {
            throw ApiException.NotFound($"Cannot find job[uuid:{uuid}]: it never existed or its result has expired");
        }

        var runner = ctx.Get<JobRunner>();
        var live = runner.Find(uuid);
        await CheckOwnerAsync(ctx, job, live);
        if (job.State != JobStates.Running)
        {
            throw Finished(job);
        }

        if (live is null)
        {
            var node = ctx.Get<NodeIdentity>().Id;
            if (job.NodeId != node)
            {
                throw ApiException.Operation($"job[uuid:{uuid}] runs on another management node[{job.NodeId}]; cancel it there");
            }

            // It finished between the two reads.
            throw Finished(await store.FindAsync(uuid, ct) ?? job);
        }

        if (!live.RequestCancel())
        {
            await runner.CancelWaitingAsync(live);
            return ApiReply.Empty();
        }

        // Transfers learn first that the user cancelled them, so their copies record that reason rather
        // than a generic cancellation; then the job's own token stops whatever else it was doing.
        await ctx.Get<TransferRegistry>().CancelJobAsync(uuid, TransferWait);
        await live.Cancel.CancelAsync();
        await Task.WhenAny(live.Done, Task.Delay(JobWait, ct));
        var after = await store.FindAsync(uuid, ct);
        if (after?.State == JobStates.Succeeded)
        {
            throw ApiException.Operation($"job[uuid:{uuid}] completed before it could be cancelled");
        }

        return ApiReply.Empty();
    }

    private static ApiException Finished(ApiJobEntity job) =>
        ApiException.Operation($"job[uuid:{job.Uuid}] of API[{job.ApiName}] has already finished (state {job.State}); only a waiting or running job can be cancelled");

    /// <summary>Only the account that started the job, or an admin account, may cancel it.</summary>
    private static async Task CheckOwnerAsync(ApiContext ctx, ApiJobEntity job, LiveJob? live)
    {
        var caller = ctx.Session?.AccountUuid;
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        var owner = live?.Work.AccountUuid
            ?? await db.Sessions.AsNoTracking().Where(s => s.Uuid == job.SessionUuid).Select(s => s.AccountUuid).FirstOrDefaultAsync(ctx.CancellationToken);
        if (caller is null || caller == owner)
        {
            return;
        }

        var type = await db.Accounts.AsNoTracking().Where(a => a.Uuid == caller).Select(a => a.Type).FirstOrDefaultAsync(ctx.CancellationToken);
        if (type != "SystemAdmin")
        {
            throw new ApiException(Errors.Of(Errors.PermissionDenied, $"only the account that started job[uuid:{job.Uuid}] or an admin may cancel it"));
        }
    }
}
