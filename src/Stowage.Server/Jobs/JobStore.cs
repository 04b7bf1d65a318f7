using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Hosting;
using Stowage.Server.Identity;
using Stowage.Server.Protocol;

namespace Stowage.Server.Jobs;

/// <summary>Async API jobs in the database: any server can answer a poll, and a restart can fail what was running.</summary>
public sealed class JobStore(StowageDbContextFactory dbFactory, NodeIdentity node, TimeProvider clock)
{
    /// <summary>Inserts the job; a uuid already used is the client's mistake (HTTP 400), as in ZStack.</summary>
    public async Task CreateAsync(string uuid, string apiName, string? sessionUuid, TimeSpan timeout, string? webHook, ErrorCode? failure, CancellationToken cancellationToken)
    {
        await using var db = dbFactory.CreateDbContext();
        var now = clock.GetUtcNow().UtcDateTime;
        db.ApiJobs.Add(new ApiJobEntity
        {
            Uuid = uuid,
            ApiName = apiName,
            State = failure is null ? JobStates.Running : JobStates.Failed,
            SessionUuid = SessionKeys.OfOptional(sessionUuid),
            NodeId = node.Id,
            CreateDate = now,
            FinishDate = failure is null ? null : now,
            TimeoutMs = (long)timeout.TotalMilliseconds,
            WebHook = webHook,
            ErrorJson = failure is null ? null : Serialize(failure),
        });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            throw new BadRequestException($"duplicate job uuid[{uuid}] in the header X-Job-UUID");
        }
    }

    public Task CompleteAsync(string uuid, ApiReply? reply, ErrorCode? error, CancellationToken cancellationToken) =>
        CompleteAsync(uuid, reply, error, error is null ? JobStates.Succeeded : JobStates.Failed, cancellationToken);

    /// <summary>Records the outcome of a job still running; a job already finished keeps its first outcome.</summary>
    public async Task CompleteAsync(string uuid, ApiReply? reply, ErrorCode? error, string state, CancellationToken cancellationToken)
    {
        await using var db = dbFactory.CreateDbContext();
        var now = clock.GetUtcNow().UtcDateTime;
        var result = reply?.Body.ToJsonString(ZStackJson.Options);
        var schema = reply is null ? null : JsonSerializer.Serialize(reply.Schema, ZStackJson.Options);
        var errorJson = error is null ? null : Serialize(error);
        await db.ApiJobs.Where(j => j.Uuid == uuid && j.State == JobStates.Running)
            .ExecuteUpdateAsync(
                s => s.SetProperty(j => j.State, state).SetProperty(j => j.FinishDate, now)
                    .SetProperty(j => j.ResultJson, result).SetProperty(j => j.SchemaJson, schema).SetProperty(j => j.ErrorJson, errorJson),
                cancellationToken);

        // A long job (the same uuid) ends with its job: ZStack's jobResult holds the result, or the error.
        var longState = Features.LongJobs.LongJobRecords.StateOf(state);
        await db.LongJobs.Where(j => j.Uuid == uuid && j.State == "Running")
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.State, longState).SetProperty(j => j.JobResult, errorJson ?? result).SetProperty(j => j.LastOpDate, now), cancellationToken);
    }

    public async Task<ApiJobEntity?> FindAsync(string uuid, CancellationToken cancellationToken)
    {
        await using var db = dbFactory.CreateDbContext();
        return await db.ApiJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Uuid == uuid, cancellationToken);
    }

    /// <summary>Jobs this node was running when it stopped cannot be resumed: they end failed with a reason.</summary>
    public async Task<int> FailInterruptedAsync(CancellationToken cancellationToken)
    {
        await using var db = dbFactory.CreateDbContext();
        var now = clock.GetUtcNow().UtcDateTime;
        var error = Serialize(Errors.Operr("the management server restarted while this job was running; the job did not complete"));
        await db.LongJobs.Where(j => j.State == "Running" && j.ManagementNodeUuid == node.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.State, "Failed").SetProperty(j => j.JobResult, error).SetProperty(j => j.LastOpDate, now), cancellationToken);
        return await db.ApiJobs.Where(j => j.State == JobStates.Running && j.NodeId == node.Id)
            .ExecuteUpdateAsync(s => s.SetProperty(j => j.State, JobStates.Failed).SetProperty(j => j.FinishDate, now).SetProperty(j => j.ErrorJson, error), cancellationToken);
    }

    /// <summary>How many failed jobs one session keeps before its oldest go (the hour of retention aside).</summary>
    public const int MaxFailedPerSession = 200;

    /// <summary>
    /// Drops the oldest failed jobs of a session beyond <see cref="MaxFailedPerSession"/>: a client that keeps
    /// sending refused calls cannot fill the database within the retention time.
    /// </summary>
    public async Task TrimFailedAsync(string? sessionUuid, CancellationToken cancellationToken)
    {
        await using var db = dbFactory.CreateDbContext();
        var key = SessionKeys.OfOptional(sessionUuid);
        var failed = db.ApiJobs.Where(j => j.SessionUuid == key && j.State == JobStates.Failed);
        var cutoff = await failed.OrderByDescending(j => j.CreateDate).ThenByDescending(j => j.Uuid).Skip(MaxFailedPerSession)
            .Select(j => (DateTime?)j.CreateDate).FirstOrDefaultAsync(cancellationToken);
        if (cutoff is { } c)
        {
            await failed.Where(j => j.CreateDate <= c).ExecuteDeleteAsync(cancellationToken);
        }
    }

    public async Task<int> PurgeAsync(TimeSpan retention, CancellationToken cancellationToken)
    {
        var cutoff = clock.GetUtcNow().UtcDateTime - retention;
        await using var db = dbFactory.CreateDbContext();
        return await db.ApiJobs.Where(j => j.State != JobStates.Running && j.FinishDate < cutoff).ExecuteDeleteAsync(cancellationToken);
    }

    public static string Serialize(ErrorCode error) => JsonSerializer.Serialize(error, ZStackJson.Options);
}
