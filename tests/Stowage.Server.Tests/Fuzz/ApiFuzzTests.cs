using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Stowage.Persistence;
using Stowage.Server.Protocol;
using Stowage.Server.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Stowage.Server.Tests.Fuzz;

/// <summary>
/// Throws malformed bodies, wrong types, oversized text, bad path uuids, bad query strings and bad
/// headers at every API of the catalogue, and checks that the server never fails (no 5xx but 503
/// with an error envelope), always explains a refusal with an error code, finishes every job it
/// accepted, and writes nothing. The seed is fixed (override with <c>STOWAGE_FUZZ_SEED</c>) so a
/// failure replays exactly.
/// </summary>
public sealed class ApiFuzzTests(ITestOutputHelper output)
{
    private const int DefaultSeed = 20261127;
    private const int Parallelism = 8;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Hostile_requests_to_every_api_are_refused_cleanly_and_write_nothing(Db db)
    {
        var seed = int.TryParse(Environment.GetEnvironmentVariable("STOWAGE_FUZZ_SEED"), CultureInfo.InvariantCulture, out var s) ? s : DefaultSeed;
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        var session = await client.LoginAsync();
        var targets = await SeedAsync(client, host);
        var before = await SnapshotAsync(host);

        var generator = new FuzzCaseGenerator(new Random(seed), targets);
        var catalog = host.Services.GetRequiredService<ApiCatalog>();
        var cases = catalog.All.SelectMany(generator.For).Concat(generator.Global()).ToList();
        Assert.True(catalog.All.Count > 0);

        using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = Parallelism }) { BaseAddress = host.BaseAddress, Timeout = TimeSpan.FromSeconds(60) };
        var failures = new ConcurrentQueue<string>();
        var statuses = new ConcurrentDictionary<int, int>();
        var clock = Stopwatch.StartNew();
        await Parallel.ForEachAsync(cases, new ParallelOptions { MaxDegreeOfParallelism = Parallelism }, async (c, ct) =>
        {
            try
            {
                var (status, body) = await SendAsync(http, c, session, ct);
                statuses.AddOrUpdate((int)status, 1, (_, n) => n + 1);
                var problem = KestrelRefusesTarget(c) && status == HttpStatusCode.BadRequest && body.Length == 0 ? null : Check(status, body);
                if (problem is null && status == HttpStatusCode.Accepted)
                {
                    var (final, finalBody) = await PollAsync(http, body, session, ct);
                    problem = final is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable
                        ? Check(final, finalBody)
                        : $"job ended with {(int)final}: {Clip(finalBody)}";
                    problem = problem is null ? null : "job: " + problem;
                }

                if (problem is not null)
                {
                    failures.Enqueue($"{c} -> {problem}");
                }
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException or TimeoutException)
            {
                failures.Enqueue($"{c} -> {e.GetType().Name}: {e.Message}");
            }
        });

        output.WriteLine($"seed {seed}: {cases.Count} requests over {catalog.All.Count} APIs on {db} in {clock.Elapsed.TotalSeconds:F1} s; statuses "
            + string.Join(", ", statuses.OrderBy(kv => kv.Key).Select(kv => $"{kv.Key}×{kv.Value}")));
        Assert.True(failures.IsEmpty, $"seed {seed}: {failures.Count} of {cases.Count} requests misbehaved:\n" + string.Join("\n", failures.Take(40)));

        // The session still works (no fuzz case logged it out) and nothing changed.
        Assert.Equal(HttpStatusCode.OK, (await client.QueryAsync("/zones")).Status);
        var after = await SnapshotAsync(host);
        foreach (var (table, rows) in before)
        {
            Assert.True(rows.SequenceEqual(after[table]), $"seed {seed}: table {table} changed:\nbefore:\n{string.Join("\n", rows)}\nafter:\n{string.Join("\n", after[table])}");
        }
    }

    /// <summary>A zone with a user tag, a system tag on it, and a global config away from its default (so a stray reset shows).</summary>
    private static async Task<FuzzTargets> SeedAsync(ZStackClient client, StowageHost host)
    {
        var zone = await client.CreateZoneAsync("fuzz-zone", "target of the fuzz test", ["fuzz-user-tag"]);
        var jobUuid = Guid.NewGuid().ToString("N");
        var tag = await client.CallAsync(HttpMethod.Post, "/system-tags", new JsonObject
        {
            ["params"] = new JsonObject { ["resourceType"] = "ZoneVO", ["resourceUuid"] = zone, ["tag"] = "fuzz::system" },
        }, jobUuid);
        Assert.Equal(HttpStatusCode.OK, tag.Status);
        var config = await client.CallAsync(HttpMethod.Put, "/global-configurations/backupStorage/ping.interval/actions", new JsonObject
        {
            ["updateGlobalConfig"] = new JsonObject { ["value"] = "61" },
        });
        Assert.Equal(HttpStatusCode.OK, config.Status);

        await using var db = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        var byType = await db.Resources.AsNoTracking().GroupBy(r => r.ResourceType).Select(g => new { g.Key, Uuid = g.Min(r => r.Uuid) }).ToDictionaryAsync(x => x.Key, x => x.Uuid!);
        return new FuzzTargets(byType, zone, tag.Json!["inventory"]!["uuid"]!.GetValue<string>(), jobUuid, "backupStorage", "ping.interval");
    }

    private static async Task<Dictionary<string, List<string>>> SnapshotAsync(StowageHost host)
    {
        await using var db = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        static string Row(params object?[] values) => string.Join(" | ", values.Select(v => v is DateTime d ? d.ToString("O", CultureInfo.InvariantCulture) : Convert.ToString(v, CultureInfo.InvariantCulture)));
        return new Dictionary<string, List<string>>
        {
            ["zones"] = [.. (await db.Zones.AsNoTracking().OrderBy(z => z.Uuid).ToListAsync())
                .Select(z => Row(z.Uuid, z.Name, z.Description, z.State, z.Type, z.IsDefault, z.CreateDate, z.LastOpDate, z.Version))],
            ["tags"] = [.. (await db.Tags.AsNoTracking().OrderBy(t => t.Uuid).ToListAsync())
                .Select(t => Row(t.Uuid, t.ResourceUuid, t.ResourceType, t.Tag, t.Type, t.Inherent, t.CreateDate, t.LastOpDate, t.Version))],
            ["global_configs"] = [.. (await db.GlobalConfigs.AsNoTracking().OrderBy(g => g.Category).ThenBy(g => g.Name).ToListAsync())
                .Select(g => Row(g.Category, g.Name, g.Value))],
            ["resources"] = [.. (await db.Resources.AsNoTracking().OrderBy(r => r.Uuid).ToListAsync())
                .Select(r => Row(r.Uuid, r.ResourceType, r.ResourceName, r.CreateDate))],
        };
    }

    private static async Task<(HttpStatusCode Status, string Body)> SendAsync(HttpClient http, FuzzCase c, string session, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(new HttpMethod(c.Method), new Uri(http.BaseAddress!, "/zstack/v1" + c.PathAndQuery));
        request.Headers.TryAddWithoutValidation("X-JSON-Schema", "true");
        var headers = c.Headers ?? [];
        if (!headers.Any(h => h.Key == "X-Job-UUID"))
        {
            request.Headers.TryAddWithoutValidation("X-Job-UUID", Guid.NewGuid().ToString("N"));
        }

        if (c.Auth)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "OAuth " + session);
        }

        foreach (var (k, v) in headers)
        {
            request.Headers.TryAddWithoutValidation(k, v);
        }

        if (c.Body is not null)
        {
            request.Content = new ByteArrayContent(c.Body);
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        }

        using var response = await http.SendAsync(request, ct);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(ct));
    }

    private static async Task<(HttpStatusCode Status, string Body)> PollAsync(HttpClient http, string accepted, string session, CancellationToken ct)
    {
        var location = new Uri(JsonNode.Parse(accepted)!["location"]!.GetValue<string>());
        var deadline = DateTime.UtcNow.AddSeconds(30);
        var delay = 2;
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, location.PathAndQuery);
            request.Headers.TryAddWithoutValidation("Authorization", "OAuth " + session);
            using var response = await http.SendAsync(request, ct);
            var body = await response.Content.ReadAsStringAsync(ct);
            if (response.StatusCode != HttpStatusCode.Accepted)
            {
                return (response.StatusCode, body);
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("job did not finish: " + location);
            }

            await Task.Delay(delay, ct);
            delay = Math.Min(delay * 2, 50);
        }
    }

    /// <summary>
    /// Kestrel itself answers 400 with an empty body, before any application code runs, when the decoded
    /// path holds a NUL (<c>%00</c>). No middleware can add an error envelope to that answer.
    /// </summary>
    private static bool KestrelRefusesTarget(FuzzCase c) =>
        c.PathAndQuery.Split('?')[0].Contains("%00", StringComparison.Ordinal);

    /// <summary>Null when the answer is acceptable, otherwise what is wrong with it.</summary>
    private static string? Check(HttpStatusCode status, string body)
    {
        var code = (int)status;
        if (code >= 500 && code != 503)
        {
            return $"{code}: {Clip(body)}";
        }

        if (code is 400 or 414 or 503 && ErrorCode(body) is null)
        {
            return $"{code} without a JSON error envelope carrying a code: {Clip(body)}";
        }

        if (code == 202)
        {
            try
            {
                return JsonNode.Parse(body)?["location"]?.GetValue<string>() is null ? $"202 without a location: {Clip(body)}" : null;
            }
            catch (JsonException)
            {
                return $"202 with a body that is not JSON: {Clip(body)}";
            }
        }

        return null;
    }

    private static string? ErrorCode(string body)
    {
        try
        {
            return JsonNode.Parse(body)?["error"]?["code"]?.GetValue<string>() is { Length: > 0 } code ? code : null;
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException)
        {
            return null;
        }
    }

    private static string Clip(string s) => s.Length > 300 ? s[..300] + "..." : s;
}
