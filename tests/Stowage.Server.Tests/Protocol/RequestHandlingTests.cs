using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Server.Tests.Protocol;

/// <summary>How requests are routed, read and answered: prefixes, verbs, headers, bodies, query strings and envelopes.</summary>
public sealed class RequestHandlingTests
{
    private static readonly string LoginBody = new JsonObject { ["logInByAccount"] = new JsonObject { ["accountName"] = "admin", ["password"] = ZStackClient.AdminPasswordSha512 } }.ToJsonString();

    [Fact]
    public async Task Login_works_on_both_prefixes_with_put_and_post()
    {
        await using var host = await StowageHost.StartAsync();
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        foreach (var prefix in new[] { "/zstack/v1", "/v1" })
        {
            foreach (var method in new[] { HttpMethod.Put, HttpMethod.Post })
            {
                var r = await Wire.RawAsync(http, method, prefix + "/accounts/login", LoginBody);
                Wire.AssertOk(r);
                var session = r.Json!["inventory"]!["uuid"]!.GetValue<string>();
                Assert.Matches("^[0-9a-f]{32}$", session);
                Assert.Null(r.Json!["schema"]); // no X-JSON-Schema header, so no schema on a sync reply
                var valid = await Wire.RawAsync(http, HttpMethod.Get, $"{prefix}/accounts/sessions/{session}/valid");
                Assert.True(valid.Json!["valid"]!.GetValue<bool>(), $"{method} {prefix}");
            }
        }

        var get = await Wire.RawAsync(http, HttpMethod.Get, "/zstack/v1/accounts/login");
        Assert.Equal(HttpStatusCode.NotFound, get.Status);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Both_prefixes_serve_the_same_apis_and_locations_always_point_at_zstack_v1(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var viaV1 = host.Client("/v1");
        var session = await viaV1.LoginAsync();
        var job = Guid.NewGuid().ToString("N");
        var accepted = await viaV1.SendAsync(HttpMethod.Post, "/zones", new JsonObject { ["params"] = new JsonObject { ["name"] = "short" } }, jobUuid: job);
        Assert.Equal($"http://{host.BaseAddress.Authority}/zstack/v1/api-jobs/{job}", Wire.Location(accepted));
        var created = await viaV1.PollAsync(accepted);
        Wire.AssertOk(created);

        using var viaZStack = host.Client();
        viaZStack.Session = session;
        var a = await viaZStack.QueryAsync("/zones");
        var b = await viaV1.QueryAsync("/zones");
        Assert.Equal(a.Body, b.Body);
        var polledViaV1 = await Wire.RawAsync(viaV1.Http, HttpMethod.Get, "/v1/api-jobs/" + job, headers: new Dictionary<string, string> { ["Authorization"] = "OAuth " + session });
        Assert.Equal(created.Json!["inventory"]!.ToJsonString(), polledViaV1.Json!["inventory"]!.ToJsonString());
    }

    [Fact]
    public async Task Accepted_body_carries_the_location_built_from_the_host_header_and_the_timeout_in_ms()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var job = Guid.NewGuid().ToString("N");
        var r = await client.SendAsync(HttpMethod.Post, "/zones", new JsonObject { ["params"] = new JsonObject { ["name"] = "z" } }, jobUuid: job,
            headers: new Dictionary<string, string> { ["Host"] = "mgmt.example.test:8080" });
        Assert.Equal(HttpStatusCode.Accepted, r.Status);
        var body = r.Json!.AsObject();
        Assert.Equal(["apiTimeout", "location"], body.Select(p => p.Key).Order());
        Assert.Equal("http://mgmt.example.test:8080/zstack/v1/api-jobs/" + job, body["location"]!.GetValue<string>());
        Assert.Equal(1_800_000, body["apiTimeout"]!.GetValue<long>());
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task X_Job_UUID_is_the_job_id_and_a_duplicate_or_malformed_one_is_refused(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var body = new JsonObject { ["params"] = new JsonObject { ["name"] = "z" } };
        var job = Guid.NewGuid().ToString("N");
        Wire.AssertOk(await client.CallAsync(HttpMethod.Post, "/zones", body, jobUuid: job));

        var again = await client.SendAsync(HttpMethod.Post, "/zones", body, jobUuid: job);
        Assert.Equal(HttpStatusCode.BadRequest, again.Status);
        Assert.Contains("duplicate job uuid", again.Body);

        foreach (var bad in new[] { "abc", Guid.NewGuid().ToString(), Guid.NewGuid().ToString("N").ToUpperInvariant(), new string('a', 33) })
        {
            var r = await client.SendAsync(HttpMethod.Post, "/zones", body, jobUuid: bad);
            Assert.True(r.Status == HttpStatusCode.BadRequest, $"X-Job-UUID {bad}: {r}");
            Assert.Contains("X-Job-UUID", r.Body);
        }

        // Only the first call created a zone.
        Assert.Single(ZStackClient.Inventories(await client.QueryAsync("/zones")));
    }

    [Fact]
    public async Task Without_X_Job_UUID_the_server_makes_up_a_job_id()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var r = await Wire.RawAsync(client.Http, HttpMethod.Post, "/zstack/v1/zones", """{"params":{"name":"go-sdk"}}""",
            new Dictionary<string, string> { ["Authorization"] = "OAuth " + client.Session });
        Assert.Matches("/zstack/v1/api-jobs/[0-9a-f]{32}$", Wire.Location(r));
        Wire.AssertOk(await client.PollAsync(r));
    }

    [Fact]
    public async Task Schema_comes_only_with_X_JSON_Schema_except_on_queries_and_names_only_present_paths()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var auth = new Dictionary<string, string> { ["Authorization"] = "OAuth " + client.Session };
        var accepted = await Wire.RawAsync(client.Http, HttpMethod.Post, "/zstack/v1/zones", """{"params":{"name":"z"}}""", auth);
        var job = new Uri(Wire.Location(accepted)).PathAndQuery;

        var plain = await client.PollAsync(accepted);
        Wire.AssertOk(plain);
        var withoutHeader = await Wire.RawAsync(client.Http, HttpMethod.Get, job, headers: auth);
        Assert.Null(withoutHeader.Json!["schema"]);
        Assert.NotNull(withoutHeader.Json!["inventory"]);
        Wire.AssertSchemaPathsExist(plain.Json!.AsObject()); // the client sends X-JSON-Schema: true
        Assert.Equal("org.zstack.header.zone.ZoneInventory", plain.Json!["schema"]!["inventory"]!.GetValue<string>());

        var query = await Wire.RawAsync(client.Http, HttpMethod.Get, "/zstack/v1/zones", headers: auth);
        Wire.AssertSchemaPathsExist(query.Json!.AsObject());
        Assert.Equal(["inventories[0]"], query.Json!["schema"]!.AsObject().Select(p => p.Key));

        var empty = await client.QueryAsync("/zones", "q=name=nothing-like-this");
        Assert.Empty(ZStackClient.Inventories(empty));
        Assert.Null(empty.Json!["schema"]);

        var count = await client.QueryAsync("/zones", "count=true");
        Assert.Equal("""{"total":1}""", count.Body);

        var valid = await client.SendAsync(HttpMethod.Get, $"/accounts/sessions/{client.Session}/valid", auth: false);
        Assert.Equal("""{"valid":true}""", valid.Body);
    }

    [Fact]
    public async Task Errors_use_the_zstack_envelope_and_unknown_routes_are_plain_text_404()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var sync = await client.SendAsync(HttpMethod.Get, "/global-configurations/nope/nothing");
        Wire.AssertError(sync, HttpStatusCode.ServiceUnavailable, "SYS.1003");
        Assert.Equal(["error"], sync.Json!.AsObject().Select(p => p.Key));

        foreach (var (method, path) in new[] { ("GET", "/zstack/v1/nothing"), ("POST", "/zstack/v1/zones/x/y/z"), ("GET", "/v2/zones"), ("DELETE", "/zstack/v1/volumes/abc") })
        {
            var r = await Wire.RawAsync(client.Http, new HttpMethod(method), path);
            Assert.Equal(HttpStatusCode.NotFound, r.Status);
            Assert.Equal("no api mapping to " + path, r.Body);
        }

        var job = await Wire.RawAsync(client.Http, HttpMethod.Get, "/zstack/v1/api-jobs/" + Guid.NewGuid().ToString("N"), null, new Dictionary<string, string> { ["Authorization"] = "OAuth " + client.Session });
        Assert.Equal(HttpStatusCode.NotFound, job.Status);
        Assert.Equal("the job has been expired", job.Body);
        var put = await Wire.RawAsync(client.Http, HttpMethod.Put, "/zstack/v1/api-jobs/" + Guid.NewGuid().ToString("N"), "{}");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, put.Status);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Put_actions_dispatch_on_the_single_body_key(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var zone = await client.CreateZoneAsync("z");
        var renamed = await client.CallAsync(HttpMethod.Put, $"/zones/{zone}/actions", new JsonObject { ["updateZone"] = new JsonObject { ["name"] = "renamed" } });
        Assert.Equal("renamed", renamed.Json!["inventory"]!["name"]!.GetValue<string>());
        var disabled = await client.CallAsync(HttpMethod.Put, $"/zones/{zone}/actions", new JsonObject { ["changeZoneState"] = new JsonObject { ["stateEvent"] = "disable" } });
        Assert.Equal("Disabled", disabled.Json!["inventory"]!["state"]!.GetValue<string>());

        var unknown = await client.SendAsync(HttpMethod.Put, $"/zones/{zone}/actions", new JsonObject { ["reconnectZone"] = new JsonObject() });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.Status);
        Assert.Contains($"the body doesn't contain action mapping to the URL[/zstack/v1/zones/{zone}/actions]", unknown.Body);

        var empty = await client.SendAsync(HttpMethod.Put, $"/zones/{zone}/actions");
        Assert.Equal(HttpStatusCode.BadRequest, empty.Status);

        var two = await client.SendAsync(HttpMethod.Put, $"/zones/{zone}/actions",
            new JsonObject { ["updateZone"] = new JsonObject { ["name"] = "x" }, ["changeZoneState"] = new JsonObject { ["stateEvent"] = "enable" } });
        Assert.Equal(HttpStatusCode.BadRequest, two.Status);

        var notJson = await client.SendAsync(HttpMethod.Put, $"/zones/{zone}/actions", rawBody: "{not json");
        Assert.Equal(HttpStatusCode.BadRequest, notJson.Status);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Tags_are_read_inside_and_beside_the_params_wrapper(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var body = JsonNode.Parse("""{"params":{"name":"tagged","userTags":["inside"],"systemTags":["sys::inside"]},"userTags":["beside"],"systemTags":["sys::beside"]}""");
        var zone = (await client.CallAsync(HttpMethod.Post, "/zones", body)).Json!["inventory"]!["uuid"]!.GetValue<string>();
        var tags = ZStackClient.Inventories(await client.QueryAsync("/tags", "q=resourceUuid=" + zone, "sort=+tag"))
            .Select(t => t!["type"]!.GetValue<string>() + ":" + t["tag"]!.GetValue<string>());
        Assert.Equal(["User:beside", "User:inside", "System:sys::beside", "System:sys::inside"], tags.OrderBy(t => t[0] == 'S').ThenBy(t => t, StringComparer.Ordinal));
        Assert.Single(ZStackClient.Inventories(await client.QueryAsync("/zones", "q=__userTag__=beside")));

        var notAList = await client.CallAsync(HttpMethod.Post, "/zones", JsonNode.Parse("""{"params":{"name":"x"},"userTags":"oops"}"""));
        Wire.AssertError(notAList, HttpStatusCode.ServiceUnavailable, "SYS.1007");
        var stray = await client.SendAsync(HttpMethod.Post, "/zones", JsonNode.Parse("""{"params":{"name":"x"},"other":{}}"""));
        Assert.Equal(HttpStatusCode.BadRequest, stray.Status);
    }

    [Fact]
    public async Task An_empty_body_is_accepted_for_post_and_put()
    {
        var (host, _) = await TestApiFeature.StartAsync();
        await using var _h = host;
        using var client = host.Client();
        await client.LoginAsync();
        var echoed = await client.PollAsync(await client.SendAsync(HttpMethod.Post, "/test/echo"));
        Wire.AssertOk(echoed);
        Assert.Equal("""{"systemTags":[],"userTags":[]}""", echoed.Body);
        var wrapped = await client.CallAsync(HttpMethod.Post, "/test/echo", JsonNode.Parse("""{"params":{}}"""));
        Wire.AssertOk(wrapped);
        var reset = await client.PollAsync(await client.SendAsync(HttpMethod.Put, "/global-configurations/actions", rawBody: ""));
        Wire.AssertOk(reset);

        // A missing required field is still an API error, reported through the job.
        var noName = await client.PollAsync(await client.SendAsync(HttpMethod.Post, "/zones"));
        Wire.AssertError(noName, HttpStatusCode.ServiceUnavailable, "SYS.1007");
    }

    [Fact]
    public async Task Query_string_lists_come_as_repeated_keys_indexed_keys_or_commas_and_maps_as_dotted_keys()
    {
        var (host, _) = await TestApiFeature.StartAsync();
        await using var _h = host;
        using var client = host.Client();
        await client.LoginAsync();
        var repeated = await client.SendAsync(HttpMethod.Get, "/test/echo?names=a&names=b%2Cc&label=x%3Dy%26z");
        Wire.AssertOk(repeated);
        Assert.Equal(["a", "b", "c"], repeated.Json!["names"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("x=y&z", repeated.Json!["label"]!.GetValue<string>());

        var indexed = await client.SendAsync(HttpMethod.Get, "/test/echo?names.1=second&names.0=first&info.k1=v1&info.k2=v%202");
        Assert.Equal(["first", "second"], indexed.Json!["names"]!.AsArray().Select(n => n!.GetValue<string>()));
        Assert.Equal("""{"k1":"v1","k2":"v 2"}""", indexed.Json!["info"]!.ToJsonString());

        var twoLabels = await client.SendAsync(HttpMethod.Get, "/test/echo?label=a&label=b");
        Assert.Equal(HttpStatusCode.BadRequest, twoLabels.Status);

        // Repeated q conditions are ANDed.
        await client.CreateZoneAsync("alpha", "one");
        await client.CreateZoneAsync("alpine", "two");
        var both = await client.QueryAsync("/zones", "q=name~=alp%", "q=description=two");
        Assert.Equal("alpine", ZStackClient.Inventories(both).Single()!["name"]!.GetValue<string>());
    }
}
