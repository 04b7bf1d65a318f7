using System.Net;
using System.Net.Sockets;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Server.Tests.Protocol;

/// <summary>Async API jobs: polling states, timeouts, web hooks, restarts and how long results stay.</summary>
public sealed class JobTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task A_job_answers_202_while_running_then_200_and_the_result_stays_pollable(Db db)
    {
        var (host, feature) = await TestApiFeature.StartAsync(db);
        await using var _h = host;
        using var client = host.Client();
        await client.LoginAsync();
        var accepted = await client.SendAsync(HttpMethod.Post, "/test/slow", new JsonObject { ["params"] = new JsonObject() });
        var location = new Uri(Wire.Location(accepted)).PathAndQuery;
        await feature.Started.Task.WaitAsync(Patience);

        var running = await client.SendAsync(HttpMethod.Get, location.Replace("/zstack/v1", string.Empty, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.Accepted, running.Status);
        Assert.Equal("{}", running.Body);

        feature.Gate.SetResult();
        var done = await client.PollAsync(accepted);
        Assert.Equal(HttpStatusCode.OK, done.Status);
        Assert.Equal("""{"released":true}""", done.Body);
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(done.Body, (await client.PollAsync(accepted)).Body);
        }

        // Any live session may read a result; an invalid one may not, and a poll needs the header.
        using var other = host.Client();
        await other.LoginAsync();
        Assert.Equal(done.Body, (await other.PollAsync(accepted)).Body);
        other.Session = Guid.NewGuid().ToString("N");
        Wire.AssertError(await other.PollAsync(accepted), HttpStatusCode.ServiceUnavailable, "ID.1001");
        var anonymous = await Wire.RawAsync(client.Http, HttpMethod.Get, location);
        Assert.Equal(HttpStatusCode.BadRequest, anonymous.Status);
        Assert.Equal(1, feature.StartedCount);
    }

    [Fact]
    public async Task X_API_Timeout_bounds_the_job_which_then_fails_with_SYS_1001()
    {
        var (host, feature) = await TestApiFeature.StartAsync();
        await using var _h = host;
        using var client = host.Client();
        await client.LoginAsync();
        var accepted = await client.SendAsync(HttpMethod.Post, "/test/slow", headers: new Dictionary<string, string> { ["X-API-Timeout"] = "1" });
        Assert.Equal(1000, accepted.Json!["apiTimeout"]!.GetValue<long>());
        var failed = await client.PollAsync(accepted, Patience);
        Wire.AssertError(failed, HttpStatusCode.ServiceUnavailable, "SYS.1001");
        Assert.Contains("TestSlow", failed.Json!["error"]!["details"]!.GetValue<string>());
        feature.Gate.SetResult();

        // The Java SDK sends milliseconds: values above a day are read as ms.
        var ms = await client.SendAsync(HttpMethod.Post, "/test/echo", headers: new Dictionary<string, string> { ["X-API-Timeout"] = "120000" });
        Assert.Equal(120_000, ms.Json!["apiTimeout"]!.GetValue<long>());

        foreach (var bad in new[] { "abc", "0", "-5", "1.5" })
        {
            var r = await client.SendAsync(HttpMethod.Post, "/test/echo", headers: new Dictionary<string, string> { ["X-API-Timeout"] = bad });
            Assert.True(r.Status == HttpStatusCode.BadRequest, $"X-API-Timeout {bad}: {r}");
        }
    }

    [Fact]
    public async Task X_Web_Hook_receives_the_final_body_with_job_headers_on_success_and_failure()
    {
        using var hook = new HookReceiver();
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var headers = new Dictionary<string, string> { ["X-Web-Hook"] = hook.Url };

        var job = Guid.NewGuid().ToString("N");
        var accepted = await client.SendAsync(HttpMethod.Post, "/zones", new JsonObject { ["params"] = new JsonObject { ["name"] = "hooked" } }, jobUuid: job, headers: headers);
        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
        var call = await hook.NextAsync();
        Assert.Equal(job, call.JobUuid);
        Assert.Equal("true", call.Success);
        var polled = await client.PollAsync(accepted);
        Assert.Equal(polled.Json!["inventory"]!.ToJsonString(), JsonNode.Parse(call.Body)!["inventory"]!.ToJsonString());

        // A failure inside the handler (the uuid is taken) ...
        var zone = polled.Json!["inventory"]!["uuid"]!.GetValue<string>();
        var dupJob = Guid.NewGuid().ToString("N");
        await client.SendAsync(HttpMethod.Post, "/zones", new JsonObject { ["params"] = new JsonObject { ["name"] = "dup", ["resourceUuid"] = zone } }, jobUuid: dupJob, headers: headers);
        call = await hook.NextAsync();
        Assert.Equal((dupJob, "false"), (call.JobUuid, call.Success));
        Assert.Equal("SYS.1007", JsonNode.Parse(call.Body)!["error"]!["code"]!.GetValue<string>());

        // ... and a failure found while validating the arguments are both delivered.
        var badJob = Guid.NewGuid().ToString("N");
        await client.SendAsync(HttpMethod.Post, "/zones", new JsonObject { ["params"] = new JsonObject { ["name"] = " leading space" } }, jobUuid: badJob, headers: headers);
        call = await hook.NextAsync();
        Assert.Equal((badJob, "false"), (call.JobUuid, call.Success));
        Assert.Equal("SYS.1007", JsonNode.Parse(call.Body)!["error"]!["code"]!.GetValue<string>());

        var refused = await client.SendAsync(HttpMethod.Post, "/zones", new JsonObject { ["params"] = new JsonObject { ["name"] = "x" } },
            headers: new Dictionary<string, string> { ["X-Web-Hook"] = "ftp://127.0.0.1/x" });
        Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
    }

    [Fact]
    public async Task A_job_interrupted_by_a_restart_ends_failed_and_finished_results_survive_the_restart()
    {
        var dataDir = Directory.CreateTempSubdirectory("stowage-restart-").FullName;
        var (first, feature) = await TestApiFeature.StartAsync(dataDir: dataDir);
        string session;
        string slowLocation;
        ApiResponse finished;
        using (var client = first.Client())
        {
            session = await client.LoginAsync();
            finished = await client.CallAsync(HttpMethod.Post, "/zones", new JsonObject { ["params"] = new JsonObject { ["name"] = "before-restart" } });
            Wire.AssertOk(finished);
            var accepted = await client.SendAsync(HttpMethod.Post, "/test/slow");
            slowLocation = new Uri(Wire.Location(accepted)).PathAndQuery;
            await feature.Started.Task.WaitAsync(Patience);
        }

        await first.StopAsync();

        var (second, _) = await TestApiFeature.StartAsync(dataDir: dataDir);
        await using var _h = second;
        using var again = second.Client();
        again.Session = session;
        var auth = new Dictionary<string, string> { ["Authorization"] = "OAuth " + session, ["X-JSON-Schema"] = "true" };
        var interrupted = await Wire.RawAsync(again.Http, HttpMethod.Get, slowLocation, headers: auth);
        Wire.AssertError(interrupted, HttpStatusCode.ServiceUnavailable, "SYS.1006");
        var details = interrupted.Json!["error"]!["details"]!.GetValue<string>();
        Assert.True(details.Contains("restart", StringComparison.Ordinal) || details.Contains("shutting down", StringComparison.Ordinal), details);
        Assert.Contains("job", details);

        var zones = await again.QueryAsync("/zones");
        Assert.Equal(finished.Json!["inventory"]!["uuid"]!.ToJsonString(), ZStackClient.Inventories(zones).Single()!["uuid"]!.ToJsonString());
    }

    [Fact]
    public async Task A_finished_job_stays_pollable_after_a_restart()
    {
        var dataDir = Directory.CreateTempSubdirectory("stowage-restart-").FullName;
        var first = await StowageHost.StartAsync(dataDir: dataDir);
        using var client = first.Client();
        var session = await client.LoginAsync();
        var accepted = await client.SendAsync(HttpMethod.Post, "/zones", new JsonObject { ["params"] = new JsonObject { ["name"] = "kept" } });
        var done = await client.PollAsync(accepted);
        await first.StopAsync();

        await using var second = await StowageHost.StartAsync(dataDir: dataDir);
        using var http = new HttpClient { BaseAddress = second.BaseAddress };
        var location = new Uri(Wire.Location(accepted)).PathAndQuery;
        var r = await Wire.RawAsync(http, HttpMethod.Get, location, headers: new Dictionary<string, string> { ["Authorization"] = "OAuth " + session, ["X-JSON-Schema"] = "true" });
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal(done.Body, r.Body);
    }

    /// <summary>A loopback HTTP listener standing in for the client's web-hook endpoint.</summary>
    internal sealed class HookReceiver : IDisposable
    {
        private readonly HttpListener _listener = new();

        public HookReceiver()
        {
            var probe = new TcpListener(IPAddress.Loopback, 0);
            probe.Start();
            var port = ((IPEndPoint)probe.LocalEndpoint).Port;
            probe.Stop();
            Url = $"http://127.0.0.1:{port}/hook/";
            _listener.Prefixes.Add(Url);
            _listener.Start();
        }

        public string Url { get; }

        public async Task<(string JobUuid, string Success, string Body)> NextAsync()
        {
            var ctx = await _listener.GetContextAsync().WaitAsync(Patience);
            Assert.Equal("POST", ctx.Request.HttpMethod);
            using var reader = new StreamReader(ctx.Request.InputStream);
            var body = await reader.ReadToEndAsync();
            var result = (ctx.Request.Headers["X-Job-UUID"] ?? string.Empty, ctx.Request.Headers["X-Job-Success"] ?? string.Empty, body);
            ctx.Response.StatusCode = 200;
            ctx.Response.Close();
            return result;
        }

        public void Dispose() => _listener.Close();
    }
}
