using System.Text.Json;
using Stowage.Core.Errors;
using Stowage.Core.Resources;
using Stowage.Persistence;
using Stowage.Server.Cluster;
using Stowage.Server.Hosting;
using Stowage.Server.Identity;
using Stowage.Server.Storage;
using Stowage.Server.Jobs;

namespace Stowage.Server.Protocol;

/// <summary>
/// Runs one REST v1 request: picks the API (PUT actions by their body key), reads the headers ZStack
/// clients send, checks the session, binds and validates arguments, then answers synchronously
/// (200/503) or as a job (202 + location).
/// </summary>
public sealed partial class ApiDispatcher(
    SessionService sessions,
    JobStore jobs,
    JobRunner runner,
    WebHookSender webHooks,
    StowageDbContextFactory dbFactory,
    IServiceScopeFactory scopes,
    IBackupStorageOwnership ownership,
    ClusterForwarder forwarder,
    NodeIdentity node,
    Features.LongJobs.LongJobRecords longJobs,
    Monitoring.StowageMetrics metrics,
    ILogger<ApiDispatcher> logger)
{
    public const int MaxBodyBytes = 1 << 20;

    public async Task HandleAsync(HttpContext http, IReadOnlyList<ApiDescriptor> candidates)
    {
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        try
        {
            await DispatchAsync(http, candidates);
        }
        catch (BadRequestException e)
        {
            await ApiErrors.WriteAsync(http, StatusCodes.Status400BadRequest, e.Error);
        }
        catch (ApiException e)
        {
            await ApiErrors.WriteAsync(http, StatusCodes.Status503ServiceUnavailable, e.Error);
        }
        catch (OperationCanceledException) when (http.RequestAborted.IsCancellationRequested)
        {
            // The client went away; nobody is left to answer.
        }
        catch (Exception e)
        {
            LogUnexpected(logger, e, http.Request.Method, http.Request.Path);
            await ApiErrors.WriteAsync(http, StatusCodes.Status503ServiceUnavailable, Errors.Of(Errors.Internal, "an internal error happened; see the server log"));
        }
        finally
        {
            // By API name (bounded: the catalogue), never the raw path, which holds uuids.
            var name = http.Items[ApiNameKey] as string ?? "unknown";
            metrics.ApiRequests.WithLabels(name, http.Response.StatusCode.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
            metrics.ApiSeconds.WithLabels(name).Observe(System.Diagnostics.Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    private const string ApiNameKey = "stowage.api";

    private async Task DispatchAsync(HttpContext http, IReadOnlyList<ApiDescriptor> candidates)
    {
        var ct = http.RequestAborted;
        var request = http.Request;
        JsonElement? root = null;
        if (HttpMethods.IsPost(request.Method) || HttpMethods.IsPut(request.Method))
        {
            root = await ReadBodyAsync(request, ct);
        }

        var api = Select(candidates, root, request.Path);
        http.Items[ApiNameKey] = api.Name;
        var path = request.RouteValues.Where(kv => kv.Value is string).ToDictionary(kv => kv.Key, kv => (string)kv.Value!, StringComparer.Ordinal);
        var (wrapper, systemTags, userTags) = Unwrap(api, root);

        var timeout = ReadTimeout(request, api);
        string? jobUuid = null;
        string? webHook = null;
        if (api.Kind == ApiKind.Async)
        {
            // A reused X-Job-UUID is refused (400) by the unique key when the job row is inserted.
            jobUuid = ReadJobUuid(request);
            webHook = ReadWebHook(request);
        }

        // The session is checked before anything else exists: a caller who is not logged in gets its 503
        // ID.1001 at once, for async APIs too, so it can neither create job rows nor have a web hook posted.
        SessionInfo? session = null;
        var gone = false;
        string? sessionUuid = null;
        if (api.NeedSession)
        {
            sessionUuid = ReadSessionHeader(request);
            session = await sessions.RequireAsync(sessionUuid, ct);
        }
        else
        {
            webHook = null;
        }

        ApiArguments args;
        try
        {
            args = root is not null || api.BodyKey is not null && !HttpMethods.IsGet(request.Method) && !HttpMethods.IsDelete(request.Method)
                ? ArgumentBinder.FromJson(api, wrapper, path)
                : ArgumentBinder.FromQuery(api, request.Query.Select(q => new KeyValuePair<string, string[]>(q.Key, q.Value.Select(v => v ?? string.Empty).ToArray())), path);
            CheckTags(systemTags, userTags, api);
            if (api.Params.Any(p => p.ResourceType is not null && args.Has(p.Name)))
            {
                await using var db = dbFactory.CreateDbContext();
                gone = !await ArgumentBinder.CheckResourcesAsync(api, args, db, ct);
            }
        }
        catch (ApiException e) when (e is not BadRequestException && api.Kind == ApiKind.Async)
        {
            // ZStack reports argument errors of async APIs through the job, not the first answer. The caller is
            // logged in; the rows its failing calls leave are bounded per session all the same.
            await jobs.CreateAsync(jobUuid!, api.Name, sessionUuid, timeout, webHook, e.Error, ct);
            await jobs.TrimFailedAsync(sessionUuid, ct);
            NotifyFailure(webHook, jobUuid!, e.Error);
            await AcceptedAsync(http, jobUuid!, timeout);
            return;
        }

        if (gone)
        {
            await SucceedEmptyAsync(http, api, jobUuid, sessionUuid, timeout, webHook, ct);
            return;
        }

        if (await RunsElsewhereAsync(http, api, args, root, ct))
        {
            return;
        }

        if (api.Kind == ApiKind.Sync)
        {
            await using var scope = scopes.CreateAsyncScope();
            var context = new ApiContext { Api = api, Args = args, Session = session, Services = scope.ServiceProvider, CancellationToken = ct, SystemTags = systemTags, UserTags = userTags };
            var reply = await api.Handler(context);
            var withSchema = api.QueryResource is not null || WantsSchema(request);
            await ApiErrors.WriteJsonAsync(http, StatusCodes.Status200OK, ApiReply.RenderNode(reply, withSchema));
            return;
        }

        var longJob = api.LongJob ? new LongJobStart(jobUuid!, Features.LongJobs.LongJobRecords.Redact(api, wrapper, path), null, null, args.String("uuid")) : null;
        await StartJobAsync(new JobStart(api, args, session, sessionUuid, jobUuid!, timeout, webHook, systemTags, userTags), longJob, ct);
        await AcceptedAsync(http, jobUuid!, timeout);
    }

    /// <summary>
    /// Creates the job row (and the long-job row when asked) and admits the work; a full queue fails the job at once.
    /// SubmitLongJob starts the API it names through here as well.
    /// </summary>
    public async Task StartJobAsync(JobStart start, LongJobStart? longJob, CancellationToken ct)
    {
        var (api, args, session, sessionUuid, id, timeout, webHook, systemTags, userTags) = start;
        var serialKey = api.SerialKey?.Invoke(args);
        await jobs.CreateAsync(id, api.Name, sessionUuid, timeout, webHook, null, ct);
        if (longJob is not null)
        {
            await longJobs.RecordAsync(id, longJob.ApiId, api, longJob.JobData, longJob.Name, longJob.Description, longJob.Target, ct);
        }

        var work = new JobWork(id, (services, token) => new ApiContext
        {
            Api = api, Args = args, Session = session, Services = services, CancellationToken = token, JobUuid = id, SystemTags = systemTags, UserTags = userTags,
        }, api, timeout, webHook, serialKey, session?.AccountUuid);
        if (!runner.TryEnqueue(work))
        {
            var busy = Errors.Operr("the management server has too many jobs queued; retry later");
            await jobs.CompleteAsync(id, null, busy, CancellationToken.None);
            NotifyFailure(webHook, id, busy);
        }
    }

    /// <summary>A delete of a resource that does not exist succeeds with <c>{}</c>, as ZStack's successIfResourceNotExisting.</summary>
    private async Task SucceedEmptyAsync(HttpContext http, ApiDescriptor api, string? jobUuid, string? sessionUuid, TimeSpan timeout, string? webHook, CancellationToken ct)
    {
        if (api.Kind == ApiKind.Sync)
        {
            await ApiErrors.WriteJsonAsync(http, StatusCodes.Status200OK, "{}");
            return;
        }

        await jobs.CreateAsync(jobUuid!, api.Name, sessionUuid, timeout, webHook, null, ct);
        await jobs.CompleteAsync(jobUuid!, ApiReply.Empty(), null, CancellationToken.None);
        if (webHook is not null)
        {
            webHooks.Enqueue(new WebHookCall(webHook, jobUuid!, true, "{}"));
        }

        await AcceptedAsync(http, jobUuid!, timeout);
    }

    /// <summary>A job that fails before it runs still reports to the client's web hook, as a job that ran would.</summary>
    private void NotifyFailure(string? webHook, string jobUuid, ErrorCode error)
    {
        if (webHook is not null)
        {
            webHooks.Enqueue(new WebHookCall(webHook, jobUuid, false, ApiErrors.Envelope(error)));
        }
    }

    private static Task AcceptedAsync(HttpContext http, string jobUuid, TimeSpan timeout)
    {
        var location = $"{http.Request.Scheme}://{ClusterForwarder.ClientHost(http.Request)}/zstack/v1/api-jobs/{jobUuid}";
        var body = JsonSerializer.Serialize(new { location, apiTimeout = (long)timeout.TotalMilliseconds });
        return ApiErrors.WriteJsonAsync(http, StatusCodes.Status202Accepted, body);
    }

    public static bool WantsSchema(HttpRequest request) =>
        string.Equals(request.Headers["X-JSON-Schema"].ToString(), "true", StringComparison.OrdinalIgnoreCase);

    private static async Task<JsonElement?> ReadBodyAsync(HttpRequest request, CancellationToken ct)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            throw new BadRequestException($"the request body exceeds {MaxBodyBytes} bytes");
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, ct)) > 0)
        {
            buffer.Write(chunk, 0, read);
            if (buffer.Length > MaxBodyBytes)
            {
                throw new BadRequestException($"the request body exceeds {MaxBodyBytes} bytes");
            }
        }

        if (buffer.Length == 0 || buffer.ToArray().All(b => b is (byte)' ' or (byte)'\n' or (byte)'\r' or (byte)'\t'))
        {
            return null;
        }

        try
        {
            using var doc = JsonDocument.Parse(buffer.ToArray(), new JsonDocumentOptions { MaxDepth = 32 });
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new BadRequestException("the request body must be a JSON object");
            }

            return doc.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new BadRequestException($"the request body is not valid JSON: {e.Message}");
        }
    }

    private static ApiDescriptor Select(IReadOnlyList<ApiDescriptor> candidates, JsonElement? root, PathString path)
    {
        if (candidates.Count == 1 && (candidates[0].BodyKey is null or "params" || root is null || candidates[0].ExtraMethods.Count > 0))
        {
            return candidates[0];
        }

        var keys = root is { } r ? r.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal) : [];
        var matches = candidates.Where(a => a.BodyKey is not null && keys.Contains(a.BodyKey)).ToList();
        return matches.Count switch
        {
            1 => matches[0],
            0 => throw new BadRequestException($"the body doesn't contain action mapping to the URL[{path}]"),
            _ => throw new BadRequestException($"the body holds more than one action for the URL[{path}]: {string.Join(", ", matches.Select(m => m.BodyKey))}"),
        };
    }

    private static (JsonElement? Wrapper, List<string> SystemTags, List<string> UserTags) Unwrap(ApiDescriptor api, JsonElement? root)
    {
        var systemTags = new List<string>();
        var userTags = new List<string>();
        if (root is not { } r)
        {
            return (null, systemTags, userTags);
        }

        JsonElement? wrapper = null;
        foreach (var prop in r.EnumerateObject())
        {
            if (prop.Name == api.BodyKey)
            {
                wrapper = prop.Value;
            }
            else if (prop.Name is "systemTags" or "userTags")
            {
                ReadTags(prop.Value, prop.Name == "systemTags" ? systemTags : userTags, prop.Name);
            }
            else
            {
                throw new BadRequestException($"unknown key[{prop.Name}] in the body of {api.Name}; expected '{api.BodyKey}'");
            }
        }

        if (wrapper is { ValueKind: JsonValueKind.Object } w)
        {
            foreach (var prop in w.EnumerateObject().Where(p => p.Name is "systemTags" or "userTags"))
            {
                ReadTags(prop.Value, prop.Name == "systemTags" ? systemTags : userTags, prop.Name);
            }
        }

        return (wrapper, systemTags, userTags);
    }

    private static void ReadTags(JsonElement value, List<string> into, string name)
    {
        if (value.ValueKind == JsonValueKind.Null)
        {
            return;
        }

        if (value.ValueKind != JsonValueKind.Array || value.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
        {
            throw ApiException.Argument($"field[{name}] must be a list of strings");
        }

        try
        {
            into.AddRange(value.EnumerateArray().Select(e => e.GetString()!));
        }
        catch (InvalidOperationException)
        {
            throw ApiException.Argument($"field[{name}] is not valid text");
        }
    }

    private static void CheckTags(List<string> systemTags, List<string> userTags, ApiDescriptor api)
    {
        if ((systemTags.Count > 0 || userTags.Count > 0) && !api.TakesTags)
        {
            throw ApiException.Argument($"API[{api.Name}] does not create a resource and takes no systemTags or userTags");
        }

        foreach (var t in systemTags.Concat(userTags))
        {
            TextRules.Check("tag", t);
            TextRules.CheckDisplay("tag", t);
            if (string.IsNullOrWhiteSpace(t) || t.Length > Features.Tags.TagRules.MaxLength)
            {
                throw ApiException.Argument($"a tag must be non-empty text of at most {Features.Tags.TagRules.MaxLength} characters");
            }
        }
    }

    private static TimeSpan ReadTimeout(HttpRequest request, ApiDescriptor api)
    {
        var header = request.Headers["X-API-Timeout"].ToString();
        if (string.IsNullOrEmpty(header))
        {
            return api.Timeout;
        }

        // ZStack documents seconds; its Java SDK sends milliseconds. Values above a day are taken as ms.
        if (!long.TryParse(header, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) || n <= 0)
        {
            throw new BadRequestException($"invalid header X-API-Timeout[{header}]: expected a positive integer");
        }

        var span = n > 86_400 ? TimeSpan.FromMilliseconds(n) : TimeSpan.FromSeconds(n);
        return span > TimeSpan.FromDays(3) ? TimeSpan.FromDays(3) : span;
    }

    private static string ReadJobUuid(HttpRequest request)
    {
        var header = request.Headers["X-Job-UUID"].ToString();
        if (string.IsNullOrEmpty(header))
        {
            return ResourceUuid.New();
        }

        return ResourceUuid.IsValid(header)
            ? header
            : throw new BadRequestException($"invalid header X-Job-UUID[{header}]: expected 32 lowercase hex characters");
    }

    private static string? ReadWebHook(HttpRequest request)
    {
        var header = request.Headers["X-Web-Hook"].ToString();
        if (string.IsNullOrEmpty(header))
        {
            return null;
        }

        return Uri.TryCreate(header, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps) && header.Length <= 2048
            ? header
            : throw new BadRequestException($"invalid header X-Web-Hook[{header}]: expected an http or https URL");
    }

    public static string ReadSessionHeader(HttpRequest request)
    {
        var auth = request.Headers.Authorization.ToString();
        if (string.IsNullOrEmpty(auth))
        {
            throw new BadRequestException("missing header 'Authorization'");
        }

        if (!auth.StartsWith("OAuth ", StringComparison.Ordinal))
        {
            throw new BadRequestException("the header 'Authorization' must be 'OAuth <session uuid>'");
        }

        return auth["OAuth ".Length..].Trim();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "unexpected failure serving {Method} {Path}")]
    private static partial void LogUnexpected(ILogger logger, Exception exception, string method, string path);
}
