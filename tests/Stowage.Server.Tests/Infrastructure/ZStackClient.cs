using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stowage.Server.Tests.Infrastructure;

public sealed record ApiResponse(HttpStatusCode Status, string Body)
{
    public JsonNode? Json => Body.Length > 0 && (Body[0] == '{' || Body[0] == '[') ? JsonNode.Parse(Body) : null;

    public string? ErrorCode => Json?["error"]?["code"]?.GetValue<string>();

    public override string ToString() => $"{(int)Status} {Body}";
}

/// <summary>Speaks REST v1 as ZStack's Java SDK does: X-Job-UUID and X-JSON-Schema on every call, 202 + polling for async APIs.</summary>
public sealed class ZStackClient : IDisposable
{
    public const string AdminPasswordSha512 = "b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86";

    private readonly HttpClient _http;
    private readonly string _prefix;

    public ZStackClient(Uri baseAddress, string prefix)
    {
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
        _prefix = prefix;
    }

    public string? Session { get; set; }

    public HttpClient Http => _http;

    public static string Sha512(string clear) => Convert.ToHexStringLower(SHA512.HashData(Encoding.UTF8.GetBytes(clear)));

    public async Task<string> LoginAsync(string account = "admin", string passwordSha512 = AdminPasswordSha512)
    {
        var r = await SendAsync(HttpMethod.Put, "/accounts/login", new JsonObject { ["logInByAccount"] = new JsonObject { ["accountName"] = account, ["password"] = passwordSha512 } }, auth: false);
        if (r.Status != HttpStatusCode.OK)
        {
            throw new InvalidOperationException("login failed: " + r);
        }

        Session = r.Json!["inventory"]!["uuid"]!.GetValue<string>();
        return Session;
    }

    /// <summary>One HTTP request, no polling.</summary>
    public async Task<ApiResponse> SendAsync(HttpMethod method, string path, JsonNode? body = null, bool auth = true, string? jobUuid = null, IDictionary<string, string>? headers = null, string? rawBody = null)
    {
        using var request = new HttpRequestMessage(method, _prefix + path);
        request.Headers.Add("X-JSON-Schema", "true");
        request.Headers.Add("X-Job-UUID", jobUuid ?? Guid.NewGuid().ToString("N"));
        if (auth && Session is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("OAuth", Session);
        }

        foreach (var (k, v) in headers ?? new Dictionary<string, string>())
        {
            request.Headers.TryAddWithoutValidation(k, v);
        }

        var text = rawBody ?? body?.ToJsonString();
        if (text is not null)
        {
            request.Content = new StringContent(text, Encoding.UTF8, new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" });
        }

        using var response = await _http.SendAsync(request);
        return new ApiResponse(response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>How long <see cref="PollAsync"/> waits for a job when not told otherwise.</summary>
    public TimeSpan PollTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Polls a 202's location until 200 or 503 (or gives up after <paramref name="timeout"/>).</summary>
    public async Task<ApiResponse> PollAsync(ApiResponse accepted, TimeSpan? timeout = null)
    {
        if (accepted.Status != HttpStatusCode.Accepted)
        {
            return accepted;
        }

        var location = new Uri(accepted.Json!["location"]!.GetValue<string>());
        var deadline = DateTime.UtcNow + (timeout ?? PollTimeout);
        var delay = 5;
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, location.PathAndQuery);
            request.Headers.Add("X-JSON-Schema", "true");
            if (Session is not null)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("OAuth", Session);
            }

            using var response = await _http.SendAsync(request);
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                return new ApiResponse(response.StatusCode, body);
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("job did not finish: " + location);
            }

            await Task.Delay(delay);
            delay = Math.Min(delay * 2, 100);
        }
    }

    /// <summary>Sends and, for a 202, polls to the end.</summary>
    public async Task<ApiResponse> CallAsync(HttpMethod method, string path, JsonNode? body = null, string? jobUuid = null) =>
        await PollAsync(await SendAsync(method, path, body, jobUuid: jobUuid));

    public Task<ApiResponse> QueryAsync(string path, params string[] query)
    {
        var qs = query.Length == 0 ? string.Empty : "?" + string.Join("&", query.Select(q =>
        {
            var eq = q.IndexOf('=', StringComparison.Ordinal);
            return Uri.EscapeDataString(q[..eq]) + "=" + Uri.EscapeDataString(q[(eq + 1)..]);
        }));
        return SendAsync(HttpMethod.Get, path + qs);
    }

    public async Task<string> CreateZoneAsync(string name, string? description = null, IEnumerable<string>? userTags = null)
    {
        var p = new JsonObject { ["name"] = name };
        if (description is not null)
        {
            p["description"] = description;
        }

        var body = new JsonObject { ["params"] = p };
        if (userTags is not null)
        {
            body["userTags"] = new JsonArray([.. userTags.Select(t => JsonValue.Create(t))]);
        }

        var r = await CallAsync(HttpMethod.Post, "/zones", body);
        if (r.Status != HttpStatusCode.OK)
        {
            throw new InvalidOperationException("CreateZone failed: " + r);
        }

        return r.Json!["inventory"]!["uuid"]!.GetValue<string>();
    }

    /// <summary>UpdateGlobalConfig, polled to the end.</summary>
    public Task<ApiResponse> UpdateGlobalConfigAsync(string category, string name, string value) =>
        CallAsync(HttpMethod.Put, $"/global-configurations/{category}/{name}/actions", new JsonObject { ["updateGlobalConfig"] = new JsonObject { ["value"] = value } });

    public static JsonArray Inventories(ApiResponse r) => r.Json!["inventories"]!.AsArray();

    public void Dispose() => _http.Dispose();
}
