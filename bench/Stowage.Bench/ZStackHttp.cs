using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Stowage.Bench;

/// <summary>A lean REST v1 client for load: one shared connection pool, OAuth header, 202 + polling.</summary>
public sealed class ZStackHttp : IDisposable
{
    private readonly HttpClient _http;
    private long _polls;

    public ZStackHttp(Uri baseAddress)
    {
        var handler = new SocketsHttpHandler { MaxConnectionsPerServer = 512, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseCookies = false };
        _http = new HttpClient(handler) { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(60) };
    }

    public string? Session { get; private set; }

    public long Polls => Interlocked.Read(ref _polls);

    public async Task LoginAsync(CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["logInByAccount"] = new JsonObject
            {
                ["accountName"] = "admin",
                ["password"] = "b109f3bbbc244eb82441917ed06d618b9008dd09b3befd1b5e07394c706a8bb980b1d7785e5976ec049b46df5f1326af5a2ea6d103fd07c95385ffab0cacbc86",
            },
        };
        var (status, text) = await SendAsync(HttpMethod.Put, "zstack/v1/accounts/login", body.ToJsonString(), ct);
        if (status != HttpStatusCode.OK)
        {
            throw new InvalidOperationException($"login failed: {(int)status} {text}");
        }

        Session = JsonNode.Parse(text)!["inventory"]!["uuid"]!.GetValue<string>();
    }

    public async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpMethod method, string path, string? json, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, path);
        if (Session is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "OAuth " + Session);
        }

        if (json is not null)
        {
            request.Content = new StringContent(json, Encoding.UTF8, new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" });
        }

        using var response = await _http.SendAsync(request, ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(ct));
    }

    /// <summary>Submits an async API and polls its job to the end (1 ms first, doubling to 20 ms); returns the final answer.</summary>
    public async Task<(HttpStatusCode Status, string Body)> CallAsync(HttpMethod method, string path, string? json, CancellationToken ct)
    {
        var (status, body) = await SendAsync(method, path, json, ct);
        if (status != HttpStatusCode.Accepted)
        {
            return (status, body);
        }

        var location = new Uri(JsonNode.Parse(body)!["location"]!.GetValue<string>()).PathAndQuery.TrimStart('/');
        var delay = 1;
        while (true)
        {
            await Task.Delay(delay, ct);
            Interlocked.Increment(ref _polls);
            (status, body) = await SendAsync(HttpMethod.Get, location, null, ct);
            if (status != HttpStatusCode.Accepted)
            {
                return (status, body);
            }

            delay = Math.Min(delay * 2, 20);
        }
    }

    public void Dispose() => _http.Dispose();
}
