using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Hosting;
using Stowage.Server.Jobs;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.LongJobs;

/// <summary>ZStack's LongJobInventory.</summary>
public sealed record LongJobInventory(
    string Uuid, string? Name, string? Description, string ApiId, string JobName, string JobData, string? JobResult, string State,
    string? TargetResourceUuid, string ManagementNodeUuid, DateTime CreateDate, DateTime LastOpDate)
{
    public const string ClassName = "org.zstack.header.longjob.LongJobInventory";

    public static LongJobInventory From(LongJobEntity e) =>
        new(e.Uuid, e.Name, e.Description, e.ApiId, e.JobName, e.JobData, e.JobResult, e.State, e.TargetResourceUuid, e.ManagementNodeUuid, e.CreateDate, e.LastOpDate);

    public ApiReply Reply() => ApiReply.Inventory(this, ClassName);
}

/// <summary>
/// The long-job rows: written when a long-running API starts (directly or through SubmitLongJob) and settled with
/// its job, so <c>GET /longjobs</c> and CancelLongJob on <c>/longjobs/{uuid}</c> see every such call by its job uuid.
/// </summary>
public sealed class LongJobRecords(StowageDbContextFactory dbFactory, NodeIdentity node, TimeProvider clock)
{
    /// <summary>The job states of a long job once its job has ended (ZStack's LongJobState names).</summary>
    public static string StateOf(string jobState) => jobState switch
    {
        JobStates.Succeeded => "Succeeded",
        JobStates.Canceled => "Canceled",
        JobStates.Failed => "Failed",
        _ => "Running",
    };

    public async Task RecordAsync(string jobUuid, string apiId, ApiDescriptor api, string jobData, string? name, string? description, string? target, CancellationToken ct)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = dbFactory.CreateDbContext();
        db.LongJobs.Add(new LongJobEntity
        {
            Uuid = jobUuid, ApiId = apiId, JobName = api.MessageName, JobData = jobData, Name = name ?? api.MessageName, Description = description,
            State = "Running", TargetResourceUuid = target, ManagementNodeUuid = node.Id, CreateDate = now, LastOpDate = now,
        });
        await db.SaveChangesAsync(ct);
    }

    /// <summary>
    /// The parameters of a call as a long job shows them: parameters marked secret are left out, and a url's password
    /// (<c>sftp://user:password@host/…</c>) is cut, so jobData never holds a credential.
    /// </summary>
    public static string Redact(ApiDescriptor api, JsonElement? wrapper, IReadOnlyDictionary<string, string> path)
    {
        var data = wrapper is { ValueKind: JsonValueKind.Object } w ? JsonNode.Parse(w.GetRawText())!.AsObject() : [];
        foreach (var spec in api.Params.Where(p => p.Secret))
        {
            data.Remove(spec.Name);
        }

        foreach (var (k, v) in path)
        {
            data[k] = v;
        }

        foreach (var (k, v) in data.ToList())
        {
            if (v is JsonValue value && value.TryGetValue<string>(out var text) && WithoutPassword(text) is { } cut)
            {
                data[k] = cut;
            }
        }

        return data.ToJsonString(ZStackJson.Options);
    }

    private static string? WithoutPassword(string text)
    {
        if (!text.Contains("://", StringComparison.Ordinal) || !Uri.TryCreate(text, UriKind.Absolute, out var uri) || !uri.UserInfo.Contains(':', StringComparison.Ordinal))
        {
            return null;
        }

        var at = text.IndexOf('@', StringComparison.Ordinal);
        var scheme = text.IndexOf("://", StringComparison.Ordinal) + 3;
        var user = uri.UserInfo[..uri.UserInfo.IndexOf(':', StringComparison.Ordinal)];
        return at > scheme ? text[..scheme] + user + text[at..] : null;
    }

    public async Task<LongJobEntity?> FindAsync(string uuid, CancellationToken ct)
    {
        await using var db = dbFactory.CreateDbContext();
        return await db.LongJobs.AsNoTracking().FirstOrDefaultAsync(j => j.Uuid == uuid, ct);
    }
}
