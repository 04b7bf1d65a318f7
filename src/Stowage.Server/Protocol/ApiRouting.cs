using Stowage.Core.Errors;
using Stowage.Persistence.Entities;
using Stowage.Server.Identity;
using Stowage.Server.Jobs;

namespace Stowage.Server.Protocol;

/// <summary>Maps the catalogue onto ASP.NET endpoints under both prefixes ZStack clients use.</summary>
public static class ApiRouting
{
    public static readonly string[] Prefixes = ["/zstack/v1", "/v1"];

    public static void MapZStackApis(this WebApplication app)
    {
        var catalog = app.Services.GetRequiredService<ApiCatalog>();
        var routes = catalog.All
            .SelectMany(a => new[] { a.Method }.Concat(a.ExtraMethods).Select(m => (Method: m, a.Path, Api: a)))
            .GroupBy(x => (x.Method, x.Path));
        foreach (var group in routes)
        {
            var candidates = group.Select(x => x.Api).ToList();
            foreach (var prefix in Prefixes)
            {
                app.MapMethods(prefix + group.Key.Path, [group.Key.Method], (HttpContext http, ApiDispatcher dispatcher) => dispatcher.HandleAsync(http, candidates))
                    .ExcludeFromDescription();
            }
        }

        foreach (var prefix in Prefixes)
        {
            app.MapGet(prefix + "/api-jobs/{jobUuid}", PollAsync).ExcludeFromDescription();
            app.MapMethods(prefix + "/api-jobs/{jobUuid}", ["POST", "PUT", "DELETE", "PATCH"], (HttpContext http) =>
            {
                http.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
                return http.Response.WriteAsync("only GET is allowed on a job", http.RequestAborted);
            }).ExcludeFromDescription();
        }

        app.MapFallback((HttpContext http) =>
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            http.Response.ContentType = "text/plain; charset=utf-8";
            return http.Response.WriteAsync($"no api mapping to {http.Request.Path}", http.RequestAborted);
        });
    }

    /// <summary>202 while running, 200 with the result, 503 with the error; 404 once unknown or expired.</summary>
    private static async Task PollAsync(HttpContext http, string jobUuid, JobStore jobs, SessionService sessions)
    {
        var ct = http.RequestAborted;

        // Results hold inventories: only the session that started the job, or any live session, may read
        // them; the session is checked before the job is looked up so job ids cannot be probed.
        string sessionUuid;
        try
        {
            sessionUuid = ApiDispatcher.ReadSessionHeader(http.Request);
        }
        catch (BadRequestException e)
        {
            await ApiErrors.WriteAsync(http, StatusCodes.Status400BadRequest, e.Error);
            return;
        }

        var job = Core.Resources.ResourceUuid.IsValid(jobUuid) ? await jobs.FindAsync(jobUuid, ct) : null;
        if (SessionKeys.Of(sessionUuid) != job?.SessionUuid && await sessions.FindValidAsync(sessionUuid, ct) is null)
        {
            await ApiErrors.WriteAsync(http, StatusCodes.Status503ServiceUnavailable, Errors.Of(Errors.InvalidSession, $"Session expired or invalid, session uuid[{sessionUuid}]"));
            return;
        }

        if (job is null)
        {
            http.Response.StatusCode = StatusCodes.Status404NotFound;
            await http.Response.WriteAsync("the job has been expired", ct);
            return;
        }

        switch (job.State)
        {
            case JobStates.Running:
                await ApiErrors.WriteJsonAsync(http, StatusCodes.Status202Accepted, "{}");
                break;
            case JobStates.Succeeded:
                await ApiErrors.WriteJsonAsync(http, StatusCodes.Status200OK, ApiReply.Render(job.ResultJson ?? "{}", job.SchemaJson, ApiDispatcher.WantsSchema(http.Request)));
                break;
            default:
                await ApiErrors.WriteJsonAsync(http, StatusCodes.Status503ServiceUnavailable, ApiErrors.EnvelopeFromStored(job.ErrorJson ?? "{}"));
                break;
        }
    }
}
