using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Stowage.Server.Protocol;
using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Server.Tests.Protocol;

/// <summary>
/// Test-only APIs added through the host's <c>configure</c> hook: a slow async API held by a gate the
/// test releases (or cancelled by its timeout), and echo APIs that return what the server bound.
/// </summary>
public sealed class TestApiFeature : IApiFeature
{
    private int _started;

    public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public int StartedCount => Volatile.Read(ref _started);

    public IEnumerable<ApiDescriptor> Apis =>
    [
        new ApiDescriptor
        {
            Name = "TestSlow", Method = "POST", Path = "/test/slow", BodyKey = "params",
            Handler = async ctx =>
            {
                Interlocked.Increment(ref _started);
                Started.TrySetResult();
                await Gate.Task.WaitAsync(ctx.CancellationToken);
                await Task.Delay(1, ctx.CancellationToken);
                return ApiReply.Of(new JsonObject { ["released"] = true });
            },
        },
        new ApiDescriptor
        {
            // One queue: a second call waits until the first ends (for job cancel tests).
            Name = "TestSerial", Method = "POST", Path = "/test/serial", BodyKey = "params", SerialKey = _ => "test-serial",
            Handler = async ctx =>
            {
                Interlocked.Increment(ref _started);
                Started.TrySetResult();
                await Gate.Task.WaitAsync(ctx.CancellationToken);
                return ApiReply.Of(new JsonObject { ["released"] = true });
            },
        },
        new ApiDescriptor
        {
            Name = "TestEcho", Method = "POST", Path = "/test/echo", BodyKey = "params", TakesTags = true,
            Params = [new("names", ParamType.StringList), new("label")],
            Handler = ctx => Task.FromResult(ApiReply.Of(Echo(ctx))),
        },
        new ApiDescriptor
        {
            Name = "TestEchoQuery", Method = "GET", Path = "/test/echo", Kind = ApiKind.Sync,
            Params = [new("names", ParamType.StringList), new("label"), new("info", ParamType.Map)],
            Handler = ctx => Task.FromResult(ApiReply.Of(Echo(ctx))),
        },
    ];

    public static async Task<(StowageHost Host, TestApiFeature Feature)> StartAsync(Db db = Db.Sqlite, string? dataDir = null)
    {
        var feature = new TestApiFeature();
        var host = await StowageHost.StartAsync(db, dataDir: dataDir, configure: s => s.AddSingleton<IApiFeature>(feature));
        return (host, feature);
    }

    private static JsonObject Echo(ApiContext ctx)
    {
        var o = new JsonObject
        {
            ["systemTags"] = new JsonArray([.. ctx.SystemTags.Select(t => JsonValue.Create(t))]),
            ["userTags"] = new JsonArray([.. ctx.UserTags.Select(t => JsonValue.Create(t))]),
        };
        if (ctx.Args.List("names") is { } names)
        {
            o["names"] = new JsonArray([.. names.Select(n => JsonValue.Create(n))]);
        }

        if (ctx.Args.String("label") is { } label)
        {
            o["label"] = label;
        }

        if (ctx.Args.Map("info") is { } info)
        {
            o["info"] = new JsonObject([.. info.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)JsonValue.Create(kv.Value)))]);
        }

        return o;
    }
}

/// <summary>Small assertions and raw requests shared by the protocol tests.</summary>
public static partial class Wire
{
    [GeneratedRegex("^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [1-9]\\d?, \\d{4} (1[0-2]|[1-9]):[0-5]\\d:[0-5]\\d (AM|PM)$")]
    public static partial Regex ZStackDate();

    public static void AssertDate(JsonNode? value) =>
        Assert.Matches(ZStackDate(), value?.GetValue<string>() ?? "<missing>");

    public static void AssertError(ApiResponse r, HttpStatusCode status, string code)
    {
        Assert.True(r.Status == status, $"expected {(int)status} {code}, got {r}");
        var error = r.Json?["error"]?.AsObject();
        Assert.NotNull(error);
        Assert.Equal(code, error["code"]!.GetValue<string>());
        Assert.False(string.IsNullOrEmpty(error["description"]?.GetValue<string>()));
        Assert.False(string.IsNullOrEmpty(error["details"]?.GetValue<string>()));
    }

    public static void AssertOk(ApiResponse r) => Assert.True(r.Status == HttpStatusCode.OK, "expected 200, got " + r);

    /// <summary>A request with exactly the given headers (nothing added), like a hand-written client.</summary>
    public static async Task<ApiResponse> RawAsync(HttpClient http, HttpMethod method, string pathAndQuery, string? body = null, IDictionary<string, string>? headers = null)
    {
        using var request = new HttpRequestMessage(method, pathAndQuery);
        foreach (var (k, v) in headers ?? new Dictionary<string, string>())
        {
            if (k.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.Host = v;
            }
            else
            {
                request.Headers.TryAddWithoutValidation(k, v);
            }
        }

        if (body is not null)
        {
            request.Content = new StringContent(body);
            request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse("application/json; charset=utf-8");
        }

        using var response = await http.SendAsync(request);
        return new ApiResponse(response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    public static string Location(ApiResponse accepted)
    {
        Assert.True(accepted.Status == HttpStatusCode.Accepted, "expected 202, got " + accepted);
        return accepted.Json!["location"]!.GetValue<string>();
    }

    /// <summary>Asserts every key of <c>schema</c> names a node that exists in the body.</summary>
    public static void AssertSchemaPathsExist(JsonObject body)
    {
        var schema = body["schema"]!.AsObject();
        Assert.NotEmpty(schema);
        foreach (var (path, cls) in schema)
        {
            Assert.StartsWith("org.zstack.", cls!.GetValue<string>());
            JsonNode? node = body;
            foreach (Match m in PathPart().Matches(path))
            {
                node = m.Groups["index"].Success ? node?[m.Groups["name"].Value]?[int.Parse(m.Groups["index"].Value, System.Globalization.CultureInfo.InvariantCulture)] : node?[m.Groups["name"].Value];
            }

            Assert.True(node is not null, $"schema path {path} is not in the body {body.ToJsonString()}");
        }
    }

    [GeneratedRegex("(?<name>[A-Za-z0-9_]+)(\\[(?<index>\\d+)\\])?")]
    private static partial Regex PathPart();
}
