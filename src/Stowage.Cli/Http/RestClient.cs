using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stowage.Cli.Http;

/// <summary>One REST v1 call: the wire form a command line turned into.</summary>
public sealed record CallRequest(string Method, string PathAndQuery, JsonObject? Body, bool NeedSession, bool Async, string ApiName);

/// <summary>
/// Stowage's REST v1 API over HTTP: sync calls (200 / 503), async calls (202, then polling the job location
/// until 200 / 503), ZStack's error envelope, and transport failures reported as <see cref="ConnectionException"/>.
/// </summary>
public sealed class RestClient : IDisposable
{
    private readonly HttpClient _http;
    private readonly string _server;

    public RestClient(string server, TimeSpan? timeout = null)
    {
        _server = server;
        var uri = new Uri(server);
        Prefix = uri.AbsolutePath is "" or "/" ? "/zstack/v1" : uri.AbsolutePath.TrimEnd('/');
        _http = new HttpClient { BaseAddress = new Uri(uri.GetLeftPart(UriPartial.Authority)), Timeout = timeout ?? TimeSpan.FromMinutes(5) };
    }

    public string Prefix { get; }

    public string? Session { get; set; }

    /// <summary>Conditional GET of the API catalogue; returns null text when the cached copy (etag) is current.</summary>
    public async Task<(string? Text, string? ETag)> GetCatalogAsync(string? etag, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Prefix + "/apis");
        if (etag is not null)
        {
            request.Headers.TryAddWithoutValidation("If-None-Match", etag);
        }

        using var response = await SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.NotModified)
        {
            return (null, etag);
        }

        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            throw new ConnectionException($"{_server} answered {(int)response.StatusCode} to GET {Prefix}/apis: is it a Stowage server? {Short(text)}");
        }

        return (text, response.Headers.ETag?.ToString());
    }

    /// <summary>Runs one API; for async APIs waits for the job, asking <paramref name="waiter"/> what to do on Ctrl-C.</summary>
    public async Task<JsonObject> CallAsync(CallRequest call, IJobWaiter waiter, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(new HttpMethod(call.Method), Prefix + call.PathAndQuery);
        Authorize(request, call.NeedSession);
        if (call.Body is not null)
        {
            request.Content = new StringContent(call.Body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        using var response = await SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        if (response.StatusCode == HttpStatusCode.Accepted)
        {
            var location = (Parse(text, response.StatusCode)?["location"]?.GetValue<string>())
                ?? throw new ConnectionException($"{call.ApiName}: 202 without a job location: {Short(text)}");
            return await PollAsync(location, waiter, cancellationToken);
        }

        return Result(text, response.StatusCode);
    }

    private async Task<JsonObject> PollAsync(string location, IJobWaiter waiter, CancellationToken cancellationToken)
    {
        waiter.Started(location);
        try
        {
            return await PollLoopAsync(location, waiter, cancellationToken);
        }
        finally
        {
            await waiter.FinishedAsync();
        }
    }

    private async Task<JsonObject> PollLoopAsync(string location, IJobWaiter waiter, CancellationToken cancellationToken)
    {
        var jobUuid = location.Split('?')[0].TrimEnd('/').Split('/')[^1];
        var delay = TimeSpan.FromMilliseconds(50);
        while (true)
        {
            using (var request = new HttpRequestMessage(HttpMethod.Get, location))
            {
                Authorize(request, true);
                using var response = await SendAsync(request, cancellationToken);
                var text = await response.Content.ReadAsStringAsync(cancellationToken);
                if (response.StatusCode == HttpStatusCode.NotFound)
                {
                    throw new ApiCallException("JOB.EXPIRED", "the job has expired on the server", $"{location}: {Short(text)}", 404);
                }

                if (response.StatusCode != HttpStatusCode.Accepted)
                {
                    return Result(text, response.StatusCode);
                }

                waiter.Progress(Parse(text, response.StatusCode));
                if (waiter.WantsTaskProgress && await TaskProgressAsync(jobUuid, cancellationToken) is { } tasks)
                {
                    waiter.TaskProgress(tasks);
                }
            }

            switch (await waiter.WaitAsync(delay, cancellationToken))
            {
                case WaitOutcome.StopWaiting:
                    throw new StoppedWaitingException(location);
                case WaitOutcome.CancelJob:
                    waiter.Cancelled(await CancelJobAsync(jobUuid, cancellationToken));
                    delay = TimeSpan.FromMilliseconds(50);
                    continue;
            }

            delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 1000));
        }
    }

    /// <summary>The job's task progress, or null when the server has none to give (an older server, an expired job).</summary>
    public async Task<JsonArray?> TaskProgressAsync(string jobUuid, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"{Prefix}/task-progresses/{Uri.EscapeDataString(jobUuid)}");
        Authorize(request, true);
        using var response = await SendAsync(request, cancellationToken);
        if (response.StatusCode != HttpStatusCode.OK)
        {
            return null;
        }

        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        return Parse(text, response.StatusCode)?["inventories"] as JsonArray;
    }

    /// <summary>CancelLongJob on the job; gives the server's refusal as text, or null when the cancel was accepted.</summary>
    public async Task<string?> CancelJobAsync(string jobUuid, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Put, $"{Prefix}/api-jobs/{Uri.EscapeDataString(jobUuid)}/actions");
        Authorize(request, true);
        request.Content = new StringContent("""{"cancelLongJob":{}}""", Encoding.UTF8, "application/json");
        using var response = await SendAsync(request, cancellationToken);
        var text = await response.Content.ReadAsStringAsync(cancellationToken);
        try
        {
            Result(text, response.StatusCode);
            return null;
        }
        catch (ApiCallException e)
        {
            return $"[{e.Code}] {e.Details ?? e.Description}";
        }
    }

    private void Authorize(HttpRequestMessage request, bool needSession)
    {
        if (needSession && Session is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("OAuth", Session);
        }
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        try
        {
            return await _http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException e)
        {
            var why = e.InnerException is SocketException se ? se.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => "connection refused",
                SocketError.HostNotFound => "host not found",
                SocketError.TimedOut => "timed out",
                _ => se.Message,
            } : e.Message;
            throw new ConnectionException($"cannot reach the Stowage server at {_server}: {why}", e);
        }
        catch (TaskCanceledException e) when (!cancellationToken.IsCancellationRequested)
        {
            throw new ConnectionException($"the Stowage server at {_server} did not answer within {_http.Timeout.TotalSeconds:0} s", e);
        }
    }

    private static JsonObject Result(string text, HttpStatusCode status)
    {
        var json = Parse(text, status);
        if (status == HttpStatusCode.OK)
        {
            return json ?? [];
        }

        if (json?["error"] is JsonObject error)
        {
            throw new ApiCallException(
                error["code"]?.GetValue<string>() ?? "UNKNOWN",
                error["description"]?.GetValue<string>(),
                error["details"]?.GetValue<string>(),
                (int)status)
            {
                Causes = Causes(error),
            };
        }

        // Protocol-level refusals (400 malformed request, 404 no api mapping, 405) are plain text.
        throw new ApiCallException($"HTTP.{(int)status}", Short(text), null, (int)status);
    }

    private static List<string> Causes(JsonObject error)
    {
        var causes = new List<string>();
        for (var c = error["cause"] as JsonObject; c is not null && causes.Count < 10; c = c["cause"] as JsonObject)
        {
            var details = c["details"]?.GetValue<string>();
            causes.Add($"[{c["code"]?.GetValue<string>()}] {c["description"]?.GetValue<string>()}{(string.IsNullOrEmpty(details) ? "" : ": " + details)}");
        }

        return causes;
    }

    private static JsonObject? Parse(string text, HttpStatusCode status)
    {
        if (text.Length == 0 || text[0] != '{')
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text) as JsonObject;
        }
        catch (JsonException e)
        {
            throw new ConnectionException($"the server answered {(int)status} with malformed JSON: {Short(text)}", e);
        }
    }

    private static string Short(string text) => text.Length > 300 ? text[..300] + "…" : text;

    public void Dispose() => _http.Dispose();
}
