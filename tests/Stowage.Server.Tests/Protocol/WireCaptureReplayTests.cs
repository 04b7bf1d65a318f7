using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Server.Tests.Protocol;

/// <summary>
/// Replays every request ZStack's Java SDK sent (the wire capture) with its exact method, path, query,
/// headers and body, polling async jobs the way the SDK does. Placeholders and the recorded session are
/// replaced by live values; every request gets a fresh X-Job-UUID.
/// </summary>
public sealed class WireCaptureReplayTests
{
    private const string RecordedSession = "c0a7b4c329b447e390bce1814c093dde";
    private const string ZonePlaceholder = "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz";

    private sealed record Line(int No, string Method, string Raw, string Path, string? Auth, string? JobUuid, string? SchemaHeader, string? ContentType, JsonNode? Body)
    {
        public bool IsPoll => Path.StartsWith("/zstack/v1/api-jobs/", StringComparison.Ordinal);

        /// <summary>Every API of the capture is served now.</summary>
        public bool IsNotYetServed => false;

        /// <summary>Backup-storage and image lines need a real sshd: BackupStorage/WireCaptureReplayTests replays them.</summary>
        public bool IsBackupStorage => Path.Contains("/backup-storage", StringComparison.Ordinal) || Path.StartsWith("/zstack/v1/images", StringComparison.Ordinal);
    }

    private static List<Line> Capture() =>
        [.. File.ReadAllLines(Path.Combine(AppContext.BaseDirectory, "Fixtures", "zstack-java-sdk-wire-capture.jsonl"))
            .Where(l => l.Length > 0)
            .Select((l, i) =>
            {
                var o = JsonNode.Parse(l)!;
                return new Line(i + 1, o["m"]!.GetValue<string>(), o["raw"]!.GetValue<string>(), o["path"]!.GetValue<string>(), o["auth"]?.GetValue<string>(),
                    o["jobuuid"]?.GetValue<string>(), o["schemahdr"]?.GetValue<string>(), o["ctype"]?.GetValue<string>(), o["body"]);
            })];

    [Fact]
    public void Capture_holds_the_requests_this_replay_relies_on()
    {
        var lines = Capture();
        Assert.Equal(57, lines.Count);
        Assert.All(lines.Where(l => !l.IsPoll), l => Assert.Matches("^[0-9a-f]{32}$", l.JobUuid!));
        Assert.All(lines.Where(l => l.IsPoll), l => Assert.Equal("OAuth " + RecordedSession, l.Auth));
        Assert.All(lines.Where(l => l.Body is not null), l => Assert.Equal("application/json; charset=utf-8", l.ContentType));
        Assert.All(lines, l => Assert.Equal("true", l.SchemaHeader));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Replaying_the_java_sdk_capture_gives_the_answers_the_sdk_expects(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        var hostHeader = host.BaseAddress.Authority;
        string? session = null;
        string? zone = null;
        var lines = Capture();
        var served = 0;
        foreach (var line in lines.Where(l => !l.IsPoll && !l.IsBackupStorage))
        {
            string Sub(string s) => s.Replace(RecordedSession, session ?? RecordedSession, StringComparison.Ordinal)
                .Replace(ZonePlaceholder, zone ?? ZonePlaceholder, StringComparison.Ordinal);

            var jobUuid = Guid.NewGuid().ToString("N");
            var headers = new Dictionary<string, string> { ["X-Job-UUID"] = jobUuid, ["X-JSON-Schema"] = line.SchemaHeader! };
            if (line.Auth is not null)
            {
                headers["Authorization"] = Sub(line.Auth);
            }

            var r = await Wire.RawAsync(http, new HttpMethod(line.Method), Sub(line.Raw), line.Body is null ? null : Sub(line.Body.ToJsonString()), headers);
            if (line.IsNotYetServed)
            {
                Assert.True(r.Status == HttpStatusCode.NotFound, $"line {line.No}: {r}");
                Assert.Equal("no api mapping to " + Sub(line.Path), r.Body);
                continue;
            }

            served++;
            if (r.Status == HttpStatusCode.Accepted)
            {
                Assert.Equal($"http://{hostHeader}/zstack/v1/api-jobs/{jobUuid}", r.Json!["location"]!.GetValue<string>());
                Assert.Equal(1_800_000, r.Json!["apiTimeout"]!.GetValue<long>());
                var poll = lines.First(l => l.IsPoll && l.Path.EndsWith("/" + line.JobUuid, StringComparison.Ordinal) && l.No > line.No);
                r = await PollLikeTheSdkAsync(http, r, Sub(poll.Auth!), poll.SchemaHeader!);
            }

            switch (line.Body?.AsObject().First().Key ?? line.Method + " " + line.Path.Split('?')[0])
            {
                case "logInByAccount":
                    Wire.AssertOk(r);
                    var inv = r.Json!["inventory"]!;
                    session = inv["uuid"]!.GetValue<string>();
                    Assert.Matches("^[0-9a-f]{32}$", session);
                    Assert.Equal("org.zstack.header.identity.SessionInventory", r.Json!["schema"]!["inventory"]!.GetValue<string>());
                    Wire.AssertDate(inv["createDate"]);
                    Wire.AssertDate(inv["expiredDate"]);
                    Assert.NotNull(inv["accountUuid"]);
                    Assert.NotNull(inv["userUuid"]);
                    break;
                case "params" when line.Path == "/zstack/v1/zones":
                    Wire.AssertOk(r);
                    zone = r.Json!["inventory"]!["uuid"]!.GetValue<string>();
                    Assert.Equal("zone1", r.Json!["inventory"]!["name"]!.GetValue<string>());
                    Assert.Equal("z", r.Json!["inventory"]!["description"]!.GetValue<string>());
                    Assert.Equal("org.zstack.header.zone.ZoneInventory", r.Json!["schema"]!["inventory"]!.GetValue<string>());
                    Wire.AssertDate(r.Json!["inventory"]!["createDate"]);
                    Wire.AssertDate(r.Json!["inventory"]!["lastOpDate"]);
                    break;
                case "params" when line.Path == "/zstack/v1/user-tags":
                    // The capture tags a backup storage whose placeholder uuid does not exist here.
                    Wire.AssertError(r, HttpStatusCode.ServiceUnavailable, "SYS.1003");
                    Assert.Contains("BackupStorageVO", r.Json!["error"]!["details"]!.GetValue<string>());
                    break;
                case "GET /zstack/v1/zones":
                    Wire.AssertOk(r);
                    Assert.Equal(zone, ZStackClient.Inventories(r).Single()!["uuid"]!.GetValue<string>());
                    Assert.Equal("org.zstack.header.zone.ZoneInventory", r.Json!["schema"]!["inventories[0]"]!.GetValue<string>());
                    break;
                case "updateGlobalConfig":
                    Wire.AssertOk(r);
                    Assert.Equal("30", r.Json!["inventory"]!["value"]!.GetValue<string>());
                    Assert.Equal("ping.interval", r.Json!["inventory"]!["name"]!.GetValue<string>());
                    Assert.Equal("org.zstack.core.config.GlobalConfigInventory", r.Json!["schema"]!["inventory"]!.GetValue<string>());
                    break;
                case "GET /zstack/v1/global-configurations":
                    Wire.AssertOk(r);
                    var config = ZStackClient.Inventories(r).Single()!;
                    Assert.Equal("backupStorage", config["category"]!.GetValue<string>());
                    Assert.Equal("30", config["value"]!.GetValue<string>());
                    Assert.Equal("60", config["defaultValue"]!.GetValue<string>());
                    break;
                case var k when k.StartsWith("DELETE /zstack/v1/accounts/sessions/", StringComparison.Ordinal):
                    Wire.AssertOk(r);
                    Assert.Equal("{}", r.Body);
                    var valid = await Wire.RawAsync(http, HttpMethod.Get, $"/zstack/v1/accounts/sessions/{session}/valid");
                    Assert.False(valid.Json!["valid"]!.GetValue<bool>());
                    break;
                default:
                    Assert.Fail($"line {line.No} ({line.Method} {line.Path}) has no expectation");
                    break;
            }

            if (r.Json is JsonObject body && body.ContainsKey("schema"))
            {
                Wire.AssertSchemaPathsExist(body);
            }
        }

        Assert.Equal(7, served);
    }

    /// <summary>The SDK polls the location with Authorization and X-JSON-Schema (no X-Job-UUID) until 200 or 503.</summary>
    private static async Task<ApiResponse> PollLikeTheSdkAsync(HttpClient http, ApiResponse accepted, string auth, string schema)
    {
        var location = new Uri(Wire.Location(accepted));
        for (var i = 0; i < 2000; i++)
        {
            var r = await Wire.RawAsync(http, HttpMethod.Get, location.PathAndQuery, headers: new Dictionary<string, string> { ["Authorization"] = auth, ["X-JSON-Schema"] = schema });
            if (r.Status != HttpStatusCode.Accepted)
            {
                Assert.True(r.Status is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, "job answered " + r);
                return r;
            }

            Assert.Equal("{}", r.Body);
            await Task.Delay(5);
        }

        throw new TimeoutException("job did not finish: " + location);
    }
}
