using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Resources;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Persistence.Query;
using Stowage.Server.Features.Common;
using Stowage.Server.Features.Jobs;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.LongJobs;

/// <summary>
/// ZStack's long-job family on <c>/longjobs</c>: SubmitLongJob runs a long-running API by its message name with its
/// parameters as <c>jobData</c>; CancelLongJob, UpdateLongJob, DeleteLongJob and QueryLongJob act on any long job,
/// including the ones a direct call of such an API started (their uuid is the call's job uuid).
/// </summary>
public sealed class LongJobFeature(IServiceProvider services) : IApiFeature
{
    private const string Path = "/longjobs";
    private const string ActionsPath = "/longjobs/{uuid}/actions";

    private static readonly ParamSpec Uuid = new("uuid") { InPath = true, Required = true, Pattern = CommonPatterns.Uuid(), PatternText = "32 lowercase hex characters", Description = "long job uuid" };

    public static QueryResource Query { get; } = new QueryResource<LongJobEntity>("longJob", "LongJobInventory", "long_jobs", null)
    {
        Fields =
        [
            new("uuid", "uuid"), new("name", "name"), new("description", "description"), new("apiId", "api_id"), new("jobName", "job_name"),
            new("jobData", "job_data"), new("jobResult", "job_result"), new("state", "state"), new("targetResourceUuid", "target_resource_uuid"),
            new("managementNodeUuid", "management_node_uuid"), new("createDate", "create_date", FieldType.Date), new("lastOpDate", "last_op_date", FieldType.Date),
        ],
    };

    public IEnumerable<ApiDescriptor> Apis =>
    [
        new()
        {
            Name = "SubmitLongJob", Method = "POST", Path = Path, BodyKey = "params", ResultClass = LongJobInventory.ClassName,
            Description = "Run a long-running API (jobName, e.g. APIAddImageMsg) as a long job with its parameters as JSON text in jobData; answers the long job, which then runs on its own",
            Params =
            [
                new("name") { MaxLength = 255, Description = "long job name" },
                new("description") { MaxLength = 2048, Description = "free text" },
                new("jobName") { Required = true, MaxLength = 255, Description = "message name of the API, e.g. APIAddImageMsg" },
                new("jobData") { Required = true, NoTrim = true, Description = "the API's parameters as a JSON object in text" },
                new("targetResourceUuid") { MaxLength = 32, Description = "resource the job works on" },
                new("resourceUuid") { Pattern = CommonPatterns.Uuid(), PatternText = "32 lowercase hex characters", Description = "uuid to give the long job" },
            ],
            Handler = SubmitAsync,
        },
        new()
        {
            Name = "CancelLongJob", Method = "PUT", Path = ActionsPath, BodyKey = CancelJob.BodyKey,
            Description = "Cancel a waiting or running long job (its owner or an admin); its job then fails with a 'cancelled by the user' error and the long job is Canceled",
            Params = [Uuid], RunsWhereJobRuns = true,
            Handler = async ctx =>
            {
                var uuid = ctx.Args.RequiredString("uuid");
                var job = await ctx.Get<LongJobRecords>().FindAsync(uuid, ctx.CancellationToken)
                    ?? throw ApiException.NotFound($"Cannot find long job[uuid:{uuid}], it may have been deleted");
                if (job.State != "Running")
                {
                    throw ApiException.Operation($"long job[uuid:{uuid}] is {job.State}; only a waiting or running long job can be cancelled");
                }

                return await CancelJob.CancelAsync(ctx, uuid);
            },
        },
        new()
        {
            Name = "UpdateLongJob", Method = "PUT", Path = ActionsPath, BodyKey = "updateLongJob", ResultClass = LongJobInventory.ClassName,
            Description = "Rename or describe a long job",
            Params = [Uuid, new("name") { MaxLength = 255, Description = "new name" }, new("description") { MaxLength = 2048, Description = "new description" }],
            Handler = async ctx =>
            {
                var uuid = ctx.Args.RequiredString("uuid");
                await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
                var job = await db.LongJobs.FirstOrDefaultAsync(j => j.Uuid == uuid, ctx.CancellationToken)
                    ?? throw ApiException.NotFound($"Cannot find long job[uuid:{uuid}], it may have been deleted");
                job.Name = ctx.Args.String("name") ?? job.Name;
                job.Description = ctx.Args.Has("description") ? ctx.Args.String("description") : job.Description;
                job.LastOpDate = ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime;
                await db.SaveChangesAsync(ctx.CancellationToken);
                return LongJobInventory.From(job).Reply();
            },
        },
        new()
        {
            Name = "DeleteLongJob", Method = "DELETE", Path = Path + "/{uuid}",
            Description = "Delete a finished long job's record; a running one must be cancelled first; deleting one that does not exist succeeds",
            Params = [Uuid],
            Handler = async ctx =>
            {
                var uuid = ctx.Args.RequiredString("uuid");
                await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
                var job = await db.LongJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Uuid == uuid, ctx.CancellationToken);
                if (job?.State == "Running")
                {
                    throw ApiException.Operation($"long job[uuid:{uuid}] is still running; cancel it before deleting it");
                }

                await db.LongJobs.Where(j => j.Uuid == uuid && j.State != "Running").ExecuteDeleteAsync(ctx.CancellationToken);
                return ApiReply.Empty();
            },
        },
        .. QueryApi.Define("QueryLongJob", Path, "longJob", LongJobInventory.ClassName,
            (_, rows, _) => Task.FromResult<IReadOnlyList<object>>([.. rows.Cast<LongJobEntity>().Select(LongJobInventory.From)]),
            "Query long jobs: submitted ones and every call of a long-running API (AddImage, the volume-archive adds, the copies)"),
    ];

    /// <summary>
    /// Binds jobData to the named API exactly as a direct call would be bound (path parameters such as <c>uuid</c> come from
    /// jobData too), then starts it as its own job, whose uuid is the long job's; the submit answers at once.
    /// </summary>
    private async Task<ApiReply> SubmitAsync(ApiContext ctx)
    {
        var ct = ctx.CancellationToken;
        var jobName = ctx.Args.RequiredString("jobName");
        var api = services.GetRequiredService<ApiCatalog>().All.FirstOrDefault(a => a.LongJob && (a.MessageName == jobName || a.Name == jobName))
            ?? throw ApiException.Argument($"jobName[{jobName}] is not a long job this server runs; long jobs: {string.Join(", ", services.GetRequiredService<ApiCatalog>().All.Where(a => a.LongJob).Select(a => a.MessageName))}");
        JsonElement data;
        try
        {
            using var doc = JsonDocument.Parse(ctx.Args.RequiredString("jobData"), new JsonDocumentOptions { MaxDepth = 32 });
            data = doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw ApiException.Argument($"jobData is not valid JSON: {e.Message}");
        }

        if (data.ValueKind != JsonValueKind.Object)
        {
            throw ApiException.Argument("jobData must be a JSON object holding the API's parameters");
        }

        var path = new Dictionary<string, string>(StringComparer.Ordinal);
        var body = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        var systemTags = new List<string>();
        var userTags = new List<string>();
        foreach (var prop in data.EnumerateObject())
        {
            if (api.Params.FirstOrDefault(p => p.Name == prop.Name && p.InPath) is not null)
            {
                path[prop.Name] = prop.Value.ValueKind == JsonValueKind.String ? prop.Value.GetString()! : prop.Value.GetRawText();
            }
            else if (prop.Name is "systemTags" or "userTags" && prop.Value.ValueKind == JsonValueKind.Array)
            {
                (prop.Name == "systemTags" ? systemTags : userTags).AddRange(prop.Value.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!));
            }
            else
            {
                body[prop.Name] = prop.Value;
            }
        }

        var wrapper = JsonSerializer.SerializeToElement(body);
        var args = ArgumentBinder.FromJson(api, wrapper, path);
        await using (var db = ctx.Get<StowageDbContextFactory>().CreateDbContext())
        {
            await ArgumentBinder.CheckResourcesAsync(api, args, db, ct);
            if (ctx.Args.String("resourceUuid") is { } wanted && (await db.LongJobs.AnyAsync(j => j.Uuid == wanted, ct) || await db.ApiJobs.AnyAsync(j => j.Uuid == wanted, ct)))
            {
                throw ApiException.Argument($"resourceUuid[{wanted}] is already used by another job");
            }
        }

        var uuid = ctx.Args.String("resourceUuid") ?? ResourceUuid.New();
        var start = new JobStart(api, args, ctx.Session, ctx.Session?.Uuid, uuid, api.Timeout, null, systemTags, userTags);
        var record = new LongJobStart(ctx.JobUuid ?? uuid, LongJobRecords.Redact(api, wrapper, path), ctx.Args.String("name") ?? jobName,
            ctx.Args.String("description"), ctx.Args.String("targetResourceUuid") ?? args.String("uuid"));
        await services.GetRequiredService<ApiDispatcher>().StartJobAsync(start, record, ct);
        var row = await ctx.Get<LongJobRecords>().FindAsync(uuid, ct);
        return LongJobInventory.From(row!).Reply();
    }
}
