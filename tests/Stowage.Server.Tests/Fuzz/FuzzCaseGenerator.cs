using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stowage.Server.Protocol;

namespace Stowage.Server.Tests.Fuzz;

/// <summary>Live rows the generator points requests at, so that a request that wrongly passed validation would really write.</summary>
public sealed record FuzzTargets(
    IReadOnlyDictionary<string, string> ResourceByType,
    string ZoneUuid,
    string SystemTagUuid,
    string UsedJobUuid,
    string ConfigCategory,
    string ConfigName);

/// <summary>
/// Builds hostile requests for every API of the catalogue from its descriptor alone (method, path,
/// body key, <see cref="ParamSpec"/>s), so that APIs added later are fuzzed without touching this
/// file. Every case is meant to be rejected (or to be a harmless no-op such as deleting a uuid that
/// does not exist); the test then checks that no row changed.
/// </summary>
/// <remarks>
/// Rules that keep "nothing may be written" a fair assertion: bodies carry only the fuzzed field (so
/// a request is valid only if the API has no required field and accepts the garbage), query-string
/// junk that a DELETE API may legitimately ignore goes to a uuid that does not exist, and header
/// cases use the minimal body, which for updates of live rows would write if the header were not
/// checked first.
/// </remarks>
public sealed class FuzzCaseGenerator(Random rng, FuzzTargets targets)
{
    public const int Oversized = 100_000;

    private const string NoSuchUuid = "0123456789abcdef0123456789abcdef";

    private static readonly string[] BadPathValues =
    [
        "abc", // too short
        "0123456789abcdef0123456789abcde", // 31
        "0123456789abcdef0123456789abcdef0", // 33
        "0123456789ABCDEF0123456789ABCDEF", // uppercase
        "..%2F..%2F..%2Fetc%2Fpasswd",
        // Not "%2E%2E": RFC 3986 makes it the same as "..", so Kestrel resolves it to the parent path, which
        // for /zones/{z}/backup-storage/.. really is DELETE /zones/{z}, a different (valid) request.
        "..%5C..%5Cwindows",
        "z%C3%B6ne-%E2%9C%93-%F0%9F%98%80", // unicode
        "%00",
        "0123456789abcdef%000123456789abcde",
        "%FF%FE", // not UTF-8
        "%20",
        "%20%20%20", // only white space: refused, never "no such resource, done"
        "%09%0A",
        "a%20b",
        "%25",
        "%22%3E%3Cscript%3E",
        "'%3B%20DROP%20TABLE%20zones%3B--",
        new string('a', 3000),
    ];

    private static readonly string[] QueryJunk =
    [
        "q=name", "q=", "q==x", "q=%3D", "q=nosuchfield%3D1", "q=name%3D%00", "q=name%00%3Dx", "q=__userTag__~%3D%00",
        "q=__systemTag__%3Dx", "q=zone.nosuch.deep%3D1", "q=a..b%3D1", "q=.name%3D1", "q=name.%3D1", "q=uuid%3F%3D", "q=uuid!%3F%3D",
        "q=createDate%3Enot-a-date", "q=createDate%3E99999999999999999999", "q=isDefault%3Dmaybe", "q=id%3Dabc", "q=id%3D99999999999999999999",
        "q=name%20is%20nul", "q=name%20not%20nil", "q=name~%3D%ED%A0%80", "q=%F0%9F%98%80%3D1",
        "limit=abc", "limit=-1", "limit=1.5", "limit=99999999999999999999", "limit=%00", "limit=1&limit=2", "limit=",
        "start=-1", "start=abc", "start=99999999999999999999", "start=1e10", "start=1&start=2",
        "count=maybe", "count=1", "replyWithCount=yes", "count=true&count=false",
        "sort=%2Bnosuch", "sort=-", "sort=%2B", "sort=%00", "sort=-name&sort=%2Bname", "sortBy=nosuch", "sortDirection=sideways",
        "fields=nosuch", "fields=%00", "fields=,,,", "fields=uuid,nosuch",
        "groupBy=%00", "filterName=%00",
        "foo=bar", "%ZZ=1", "=novalue", "&&&", "a%00b=1", "q.0=name%3Dx", "limit.0=1",
    ];

    private static readonly string[] WrongForString = ["1", "1.5", "true", "[]", "{}", "[\"a\"]", "{\"a\":\"b\"}"];
    private static readonly string[] WrongForNumber = ["\"1\"", "1.5", "1e400", "99999999999999999999", "-99999999999999999999", "true", "[]", "{}", "[1]"];
    private static readonly string[] WrongForBool = ["\"true\"", "1", "0", "[]", "{}", "\"yes\""];
    private static readonly string[] WrongForList = ["\"a\"", "1", "true", "{}", "[1]", "[null]", "[[]]", "[{}]", "[\"a\",2]"];
    private static readonly string[] WrongForMap = ["\"a\"", "1", "true", "[]", "[\"a\"]"];

    public IEnumerable<FuzzCase> For(ApiDescriptor api)
    {
        var cases = new List<FuzzCase>();
        cases.AddRange(PathCases(api));
        if (api.BodyKey is not null && api.Method is "POST" or "PUT")
        {
            cases.AddRange(BodyCases(api));
        }
        else
        {
            cases.AddRange(QueryCases(api));
        }

        cases.AddRange(HeaderCases(api));
        return cases;
    }

    /// <summary>Requests that are not tied to one API: job polls with bad uuids, methods and paths nobody serves.</summary>
    public IEnumerable<FuzzCase> Global()
    {
        foreach (var bad in BadPathValues)
        {
            yield return new FuzzCase("job-poll-bad-uuid", "GET", "/api-jobs/" + bad);
        }

        yield return new FuzzCase("job-poll-post", "POST", "/api-jobs/" + targets.UsedJobUuid, Utf8("{}"));
        yield return new FuzzCase("job-poll-delete", "DELETE", "/api-jobs/" + targets.UsedJobUuid);
        yield return new FuzzCase("job-poll-no-session", "GET", "/api-jobs/" + targets.UsedJobUuid) { Auth = false };
        yield return new FuzzCase("job-poll-bad-session", "GET", "/api-jobs/" + targets.UsedJobUuid, Headers: [new("Authorization", "OAuth " + NoSuchUuid)]) { Auth = false };
        yield return new FuzzCase("unknown-path", "GET", "/no/such/" + RandomToken(12));
        yield return new FuzzCase("unknown-path-put", "PUT", "/zones/" + targets.ZoneUuid + "/no-such", Utf8("{\"updateZone\":{}}"));
    }

    private IEnumerable<FuzzCase> PathCases(ApiDescriptor api)
    {
        var holes = PathParams(api.Path);
        var body = MinimalBody(api);
        foreach (var hole in holes)
        {
            foreach (var bad in BadPathValues.Append(RandomPathGarbage()))
            {
                var path = FillPath(api, hole, bad);
                yield return new FuzzCase($"{api.Name}:path:{hole}", api.Method, path, body);
            }
        }
    }

    private IEnumerable<FuzzCase> BodyCases(ApiDescriptor api)
    {
        var key = api.BodyKey!;
        var path = FillPath(api, null, null);
        var k = JsonSerializer.Serialize(key);
        string[] malformed =
        [
            "{", "}", "{" + k + ":", "{" + k + ":{}", "{" + k + ":{}}}", "{'" + key + "':{}}", "{" + k + ":{},}", "{" + k + ":{}} trailing",
            "nul", "tru", "\"unterminated", "{\"a\":1 \"b\":2}", "{" + k + ":{\"a\":}}", "{" + k + ":{\"a\":01}}", "{" + k + ":{\"a\":.5}}",
            "{" + k + ":{\"a\":NaN}}", "{" + k + ":{\"a\":\"\\x41\"}}", "{" + k + ":{\"a\":\"\t\"}}", "{" + k + ":{/*c*/}}",
            "{" + k + ":" + new string('[', 2000) + new string(']', 2000) + "}",
            "{" + k + ":{" + string.Concat(Enumerable.Repeat("\"a\":{", 100)) + new string('}', 101) + "}",
        ];
        foreach (var m in malformed)
        {
            yield return new FuzzCase($"{api.Name}:malformed", api.Method, path, Utf8(m));
        }

        // Bytes that are not UTF-8, a NUL byte, a BOM in front of an invalid wrapper, random noise.
        yield return new FuzzCase($"{api.Name}:bad-utf8", api.Method, path, [.. Utf8("{" + k + ":{\""), 0xFF, 0xFE, .. Utf8("\":1}}")]);
        yield return new FuzzCase($"{api.Name}:nul-byte", api.Method, path, [.. Utf8("{" + k + ":{\"a"), 0x00, .. Utf8("\":1}}")]);
        yield return new FuzzCase($"{api.Name}:bom", api.Method, path, [0xEF, 0xBB, 0xBF, .. Utf8("{" + k + ":{\"nosuchfield\":1}}")]);
        for (var i = 0; i < 4; i++)
        {
            var noise = new byte[rng.Next(1, 300)];
            rng.NextBytes(noise);
            yield return new FuzzCase($"{api.Name}:noise", api.Method, path, noise);
        }

        yield return new FuzzCase($"{api.Name}:too-large", api.Method, path, Utf8("{" + k + ":{\"description\":\"" + new string('x', (1 << 20) + 10) + "\"}}"));

        foreach (var nonObject in new[] { "[]", "[" + "{" + k + ":{}}" + "]", "1", "-0", "1e999", "\"str\"", "true", "false", "null", "\"\"" })
        {
            yield return new FuzzCase($"{api.Name}:non-object", api.Method, path, Utf8(nonObject));
        }

        foreach (var wrapper in new[] { "1", "\"x\"", "[]", "true", "[{}]", "0", "\"\"" })
        {
            yield return new FuzzCase($"{api.Name}:wrapper-type", api.Method, path, Utf8("{" + k + ":" + wrapper + "}"));
        }

        string[] unknown =
        [
            "{" + k + ":{},\"nosuchfield\":1}", "{\"nosuchfield\":{}}", "{\"params\":{},\"" + key + "x\":{}}", "{" + k + ":{},\"systemTags\":\"notalist\"}",
            "{" + k + ":{},\"userTags\":[1]}", "{" + k + ":{},\"userTags\":[\"a\\u0000b\"]}", "{" + k + ":{},\"userTags\":[\"\\ud800\"]}",
            "{" + k + ":{},\"userTags\":[\"" + new string('t', Oversized) + "\"]}", "{" + k + ":{},\"systemTags\":{}}",
            "{" + k + ":{\"systemTags\":\"x\"}}", "{" + k + ":{\"userTags\":[null]}}",
            "{" + k + ":{\"nosuchfield\":1}}", "{" + k + ":{\"__proto__\":{}}}", "{" + k + ":{\"\":1}}", "{" + k + ":{\"nosuch\\u0000\":1}}",
            "{" + k + ":{\"" + new string('f', Oversized) + "\":1}}", "{\"" + new string('w', Oversized) + "\":{}}",
            "{" + k + ":{\"nosuchfield\":1}," + k + ":{\"nosuchfield\":2}}",
        ];
        foreach (var u in unknown)
        {
            yield return new FuzzCase($"{api.Name}:unknown-field", api.Method, path, Utf8(u));
        }

        // Path parameters are not body fields: naming one in the body is rejected.
        foreach (var p in api.Params.Where(p => p.InPath))
        {
            yield return new FuzzCase($"{api.Name}:path-param-in-body:{p.Name}", api.Method, path, Wrapped(key, p.Name, JsonSerializer.Serialize(NoSuchUuid)));
        }

        foreach (var p in api.Params.Where(p => !p.InPath))
        {
            foreach (var value in BadJsonValues(p))
            {
                yield return new FuzzCase($"{api.Name}:field:{p.Name}", api.Method, path, Wrapped(key, p.Name, value));
            }
        }

        // Every field wrong at once (built as text: some values are JSON that .NET will not re-serialise).
        var all = new List<string>();
        foreach (var p in api.Params.Where(p => !p.InPath))
        {
            var options = BadJsonValues(p).Where(v => v.Length < 1000).ToList();
            all.Add(JsonSerializer.Serialize(p.Name) + ":" + options[rng.Next(options.Count)]);
        }

        if (all.Count > 0)
        {
            yield return new FuzzCase($"{api.Name}:all-fields-wrong", api.Method, path, Utf8("{" + k + ":{" + string.Join(",", all) + "}}"));
        }
    }

    /// <summary>JSON texts that must be refused for this parameter.</summary>
    private IEnumerable<string> BadJsonValues(ParamSpec p)
    {
        var wrongType = p.Type switch
        {
            ParamType.String => WrongForString,
            ParamType.Int or ParamType.Long => WrongForNumber,
            ParamType.Bool => WrongForBool,
            ParamType.StringList => WrongForList,
            _ => WrongForMap,
        };
        foreach (var w in wrongType)
        {
            yield return w;
        }

        switch (p.Type)
        {
            case ParamType.String:
                yield return "\"a\\u0000b\"";
                yield return "\"\\ud800x\"";
                yield return "\"\\udc00\"";

                // Control characters and bidi overrides: refused in names and descriptions, never a 500.
                yield return "\"line\\nfail: forged\"";
                yield return "\"\\u001b[31mred\"";
                yield return "\"\\u202egnp.exe\"";
                if (p.MaxLength is { } max)
                {
                    yield return JsonSerializer.Serialize(new string('x', Math.Max(max + 1, Oversized)));
                    yield return JsonSerializer.Serialize(new string('é', max + 1));
                }

                if (p.ValidValues is not null)
                {
                    yield return JsonSerializer.Serialize("not-" + RandomToken(6));
                }

                if (p.ResourceType is not null || p.Pattern is not null)
                {
                    // Near misses of a uuid; for a free pattern (a name, say) only those the pattern refuses.
                    foreach (var v in new[] { NoSuchUuid.ToUpperInvariant(), "../" + NoSuchUuid, NoSuchUuid[..31] })
                    {
                        if (p.ResourceType is not null || !p.Pattern!.IsMatch(v))
                        {
                            yield return JsonSerializer.Serialize(v);
                        }
                    }
                }

                break;
            case ParamType.StringList:
                yield return "[\"a\\u0000b\"]";
                yield return "[\"\\ud800\"]";
                yield return "[\"" + new string('x', Oversized) + "\"]";
                if (p.ResourceType is not null)
                {
                    yield return "[\"" + NoSuchUuid.ToUpperInvariant() + "\"]";
                    yield return "[\"" + NoSuchUuid + "\"]"; // well formed, does not exist
                }

                break;
            case ParamType.Map:
                yield return "{\"a\":\"b\\u0000\"}";
                yield return "{\"a\":\"\\ud800\"}";
                break;
            case ParamType.Int or ParamType.Long:
                if (p.Min is { } lo)
                {
                    yield return (lo - 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                if (p.Max is { } hi)
                {
                    yield return (hi + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }

                yield return p.Type == ParamType.Int ? "2147483648" : "9223372036854775808";
                break;
        }
    }

    private IEnumerable<FuzzCase> QueryCases(ApiDescriptor api)
    {
        var isRead = api.Method == "GET";

        // A DELETE may ignore parameters it does not know and succeed: aim the junk at a uuid that does not exist.
        var junkPath = isRead ? FillPath(api, null, null) : FillPathWith(api, _ => NoSuchUuid);
        foreach (var junk in QueryJunk)
        {
            yield return new FuzzCase($"{api.Name}:query", api.Method, junkPath + "?" + junk);
        }

        for (var i = 0; i < 12; i++)
        {
            yield return new FuzzCase($"{api.Name}:query-random", api.Method, junkPath + "?" + RandomQuery());
        }

        yield return new FuzzCase($"{api.Name}:query-many-q", api.Method, junkPath + "?" + string.Join("&", Enumerable.Range(0, 150).Select(i => "q=name!%3Dx" + i)));

        // Values that are wrong for a declared parameter: these must be refused even against a live row.
        var path = FillPath(api, null, null);
        foreach (var p in api.Params.Where(p => !p.InPath))
        {
            var name = Uri.EscapeDataString(p.Name);
            var bad = new List<string> { "%00", "a%00b", "%ED%A0%80" };
            switch (p.Type)
            {
                case ParamType.Int or ParamType.Long:
                    bad.AddRange(["abc", "1.5", "99999999999999999999", "0x10", " 1"]);
                    break;
                case ParamType.Bool:
                    bad.AddRange(["maybe", "1", "yes"]);
                    break;
                case ParamType.String when p.ValidValues is not null:
                    bad.Add("not-" + RandomToken(5));
                    break;
            }

            if (p.Type is ParamType.String && p.MaxLength is { } max && max < 4000)
            {
                bad.Add(new string('x', max + 1));
            }

            foreach (var b in bad)
            {
                var key = p.Type == ParamType.Map ? name + ".k" : name;
                yield return new FuzzCase($"{api.Name}:param:{p.Name}", api.Method, path + "?" + key + "=" + b);
            }

            if (p.Type is not ParamType.StringList and not ParamType.Map)
            {
                // A scalar given twice. Both values valid where we know them, so only the repetition is wrong.
                var v = p.ValidValues?[0] ?? (p.Type is ParamType.Bool ? "true" : p.Type is ParamType.Int or ParamType.Long ? "1" : "x");
                yield return new FuzzCase($"{api.Name}:param-repeated:{p.Name}", api.Method, path + "?" + name + "=" + v + "&" + name + "=" + v);
            }
            else if (p.Type is ParamType.StringList)
            {
                yield return new FuzzCase($"{api.Name}:param-list:{p.Name}", api.Method, path + "?" + name + ".0=%00&" + name + ".x=1");
            }
        }
    }

    private IEnumerable<FuzzCase> HeaderCases(ApiDescriptor api)
    {
        var path = FillPath(api, null, null);
        var body = MinimalBody(api);
        string[] jobUuids = ["abc", NoSuchUuid.ToUpperInvariant(), NoSuchUuid + "0", "../" + NoSuchUuid, "0123456789abcdef-0123456789abcde", "{}", new string('f', 5000)];
        foreach (var j in jobUuids)
        {
            yield return Header(api, "X-Job-UUID", j);
        }

        yield return Header(api, "X-Job-UUID", targets.UsedJobUuid) with { Label = api.Name + ":header:X-Job-UUID-reused" };
        foreach (var t in new[] { "abc", "-1", "0", "1.5", "99999999999999999999", "1e3", "0x10", "1,2", "1 2" })
        {
            yield return Header(api, "X-API-Timeout", t);
        }

        foreach (var h in new[] { "ftp://x", "x", "file:///etc/passwd", "http//x", "javascript:alert(1)", "gopher://127.0.0.1:70/", "http://" + new string('h', 3000) })
        {
            yield return Header(api, "X-Web-Hook", h);
        }

        // Authorization that names no live session: 503 at once, sync and async APIs alike (no job is created).
        if (api.NeedSession)
        {
            foreach (var a in new[] { "OAuth", "OAuth ", "Bearer x", "Basic YWRtaW46cGFzc3dvcmQ=", "OAuth " + NoSuchUuid, "OAuth abc", "OAuth ../x", "ZStack a:b", "oauth " + NoSuchUuid, "OAuth " + new string('a', 4000) })
            {
                yield return new FuzzCase($"{api.Name}:auth", api.Method, path, body, [new("Authorization", a)]) { Auth = false };
            }

            yield return new FuzzCase($"{api.Name}:no-auth", api.Method, path, body) { Auth = false };
        }

        FuzzCase Header(ApiDescriptor a, string name, string value) => new($"{a.Name}:header:{name}", a.Method, path, body, [new(name, value)]);
    }

    /// <summary>The smallest body the API's wrapper accepts in shape: <c>{"key":{}}</c>. For updates of live rows this is a real write.</summary>
    private static byte[]? MinimalBody(ApiDescriptor api) =>
        api.BodyKey is not null && api.Method is "POST" or "PUT" ? Utf8("{" + JsonSerializer.Serialize(api.BodyKey) + ":{}}") : null;

    private static byte[] Wrapped(string key, string field, string jsonValue) =>
        Utf8("{" + JsonSerializer.Serialize(key) + ":{" + JsonSerializer.Serialize(field) + ":" + jsonValue + "}}");

    private static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);

    private static List<string> PathParams(string path) =>
        [.. path.Split('/').Where(s => s.StartsWith('{') && s.EndsWith('}')).Select(s => s[1..^1])];

    private string FillPath(ApiDescriptor api, string? hole, string? value) =>
        FillPathWith(api, name => name == hole ? value! : Escape(LiveValue(api, name)));

    private static string FillPathWith(ApiDescriptor api, Func<string, string> valueOf) =>
        string.Join("/", api.Path.Split('/').Select(s => s.StartsWith('{') && s.EndsWith('}') ? valueOf(s[1..^1]) : s));

    private static string Escape(string s) => Uri.EscapeDataString(s);

    /// <summary>A value that names a live row, so that a request that slipped through would change it.</summary>
    private string LiveValue(ApiDescriptor api, string name)
    {
        var spec = api.Params.FirstOrDefault(p => p.Name == name);
        if (spec?.ResourceType is { } type)
        {
            return targets.ResourceByType.TryGetValue(type, out var uuid) ? uuid : NoSuchUuid;
        }

        return name switch
        {
            "category" => targets.ConfigCategory,
            "name" => targets.ConfigName,
            "uuid" => api.Path.Contains("tag", StringComparison.Ordinal) ? targets.SystemTagUuid : targets.ZoneUuid,
            "jobUuid" => targets.UsedJobUuid,

            // Never the test's own session: logging it out would end the run.
            _ => NoSuchUuid,
        };
    }

    private string RandomToken(int length)
    {
        const string alphabet = "abcdefghijklmnopqrstuvwxyz0123456789";
        return string.Create(length, rng, (span, r) =>
        {
            for (var i = 0; i < span.Length; i++)
            {
                span[i] = alphabet[r.Next(alphabet.Length)];
            }
        });
    }

    private static readonly string[] Atoms =
    [
        "q", "limit", "start", "count", "sort", "fields", "name", "uuid", "=", "!=", "~=", "?=", "!?=", ">", "<", "%", "_", ",", ".", " is null",
        "\0", "é", "😀", "'", "\"", "\\", ";", "--", "__userTag__", "__systemTag__", "zone.", "-1", "99999999999999999999", "",
    ];

    /// <summary>Random query string from operator-heavy atoms; values are percent-encoded.</summary>
    private string RandomQuery()
    {
        var parts = new List<string>();
        var n = rng.Next(1, 6);
        for (var i = 0; i < n; i++)
        {
            var key = rng.Next(4) == 0 ? RandomAtoms(2) : Atoms[rng.Next(3)];
            parts.Add(Uri.EscapeDataString(key) + "=" + Uri.EscapeDataString(RandomAtoms(rng.Next(1, 6))));
        }

        return string.Join("&", parts);
    }

    private string RandomAtoms(int n) => string.Concat(Enumerable.Range(0, n).Select(_ => Atoms[rng.Next(Atoms.Length)]));

    private string RandomPathGarbage() => Uri.EscapeDataString(RandomAtoms(rng.Next(1, 5))) is { Length: > 0 } s ? s : "x";
}
