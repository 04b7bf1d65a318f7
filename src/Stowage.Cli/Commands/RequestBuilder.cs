using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using Stowage.Cli.Catalog;
using Stowage.Cli.Http;

namespace Stowage.Cli.Commands;

/// <summary>
/// Turns a parsed command into its REST v1 call as the catalogue describes it: path parameters into the
/// URL, the rest into the query string (GET, DELETE) or the <c>{bodyKey: {...}}</c> body (POST, PUT),
/// with values checked and typed first.
/// </summary>
public static class RequestBuilder
{
    public static CallRequest Build(ParsedCommand cmd)
    {
        var api = cmd.Api;
        var missing = api.UserParams.Where(p => p.Required && !cmd.Values.ContainsKey(p.Name) && !cmd.Maps.ContainsKey(p.Name)).Select(p => p.Name).ToList();
        if (missing.Count > 0)
        {
            throw new UsageException(
                $"missing required parameter{(missing.Count > 1 ? "s" : "")} for {api.Name}: {string.Join(", ", missing)}",
                $"example: stowage-cli {api.Name} {string.Join(' ', missing.Select(m => m + "=..."))}   (see: stowage-cli help {api.Name})");
        }

        var path = api.Path;
        var query = new List<KeyValuePair<string, string>>();
        var fields = new JsonObject();
        foreach (var c in cmd.Conditions)
        {
            query.Add(new("q", c));
        }

        foreach (var p in api.UserParams)
        {
            if (cmd.Maps.TryGetValue(p.Name, out var map))
            {
                AddMap(p, map, api.HasBody, query, fields);
                continue;
            }

            if (!cmd.Values.TryGetValue(p.Name, out var values))
            {
                continue;
            }

            var value = Convert(api, p, values);
            if (p.InPath)
            {
                path = path.Replace("{" + p.Name + "}", Uri.EscapeDataString(values[0]), StringComparison.Ordinal);
            }
            else if (api.HasBody)
            {
                fields[p.Name] = value;
            }
            else if (p.Type == "list")
            {
                query.AddRange(values.Select(v => new KeyValuePair<string, string>(p.Name, v)));
            }
            else
            {
                query.Add(new(p.Name, p.Type == "bool" ? value!.ToJsonString() : values[0]));
            }
        }

        var body = api.HasBody ? new JsonObject { [api.BodyKey ?? "params"] = fields } : null;
        var qs = query.Count == 0 ? "" : "?" + string.Join('&', query.Select(kv => Uri.EscapeDataString(kv.Key) + "=" + Uri.EscapeDataString(kv.Value)));
        return new CallRequest(api.Method, path + qs, body, api.NeedSession, api.IsAsync, api.Name);
    }

    private static void AddMap(ParamInfo p, Dictionary<string, string> map, bool inBody, List<KeyValuePair<string, string>> query, JsonObject fields)
    {
        if (inBody)
        {
            fields[p.Name] = new JsonObject(map.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value)));
        }
        else
        {
            query.AddRange(map.Select(kv => new KeyValuePair<string, string>(p.Name + "." + kv.Key, kv.Value)));
        }
    }

    /// <summary>Checks one value against its type and choices and gives its JSON form.</summary>
    public static JsonNode? Convert(ApiInfo api, ParamInfo p, List<string> values)
    {
        switch (p.Type)
        {
            case "list":
                foreach (var v in values)
                {
                    CheckChoice(api, p, v);
                }

                return new JsonArray([.. values.Select(v => (JsonNode?)v)]);
            case "int":
            case "long":
                if (!long.TryParse(values[0], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n) || (p.Type == "int" && n is < int.MinValue or > int.MaxValue))
                {
                    throw Bad(api, p, values[0], $"it must be an integer{Range(p)}");
                }

                if ((p.Min is { } min && n < min) || (p.Max is { } max && n > max))
                {
                    throw Bad(api, p, values[0], $"it must be{Range(p)}");
                }

                return p.Type == "int" ? JsonValue.Create((int)n) : JsonValue.Create(n);
            case "bool":
                return bool.TryParse(values[0], out var b) ? JsonValue.Create(b) : throw Bad(api, p, values[0], "it must be true or false");
            default:
                CheckChoice(api, p, values[0]);
                if (api.IsQuery && p.Name is "limit" or "start" && !uint.TryParse(values[0], NumberStyles.None, CultureInfo.InvariantCulture, out _))
                {
                    throw Bad(api, p, values[0], "it must be a non-negative integer");
                }

                return JsonValue.Create(values[0]);
        }
    }

    private static void CheckChoice(ApiInfo api, ParamInfo p, string value)
    {
        var cmp = p.IgnoreCase ? StringComparer.OrdinalIgnoreCase : StringComparer.Ordinal;
        if (p.Choices is { Count: > 0 } choices && !choices.Contains(value, cmp))
        {
            throw Bad(api, p, value, $"choose one of: {string.Join(", ", choices)}{Suggest.DidYouMean(value, choices)}");
        }
    }

    private static string Range(ParamInfo p) => (p.Min, p.Max) switch
    {
        ({ } lo, { } hi) => $" from {lo} to {hi}",
        ({ } lo, null) => $" ≥ {lo}",
        (null, { } hi) => $" ≤ {hi}",
        _ => "",
    };

    private static UsageException Bad(ApiInfo api, ParamInfo p, string value, string why) =>
        new($"bad value '{value}' for parameter '{p.Name}' of {api.Name}: {why}", $"see: stowage-cli help {api.Name}");

    /// <summary>The line as typed, minus secret values, for the history file.</summary>
    public static string Redact(ApiInfo? api, IReadOnlyList<string> tokens)
    {
        var sb = new StringBuilder();
        foreach (var t in tokens)
        {
            var eq = t.IndexOf('=', StringComparison.Ordinal);
            if (api is not null && eq > 0 && api.FindParam(t[..eq]) is { Secret: true })
            {
                continue;
            }

            sb.Append(sb.Length == 0 ? "" : " ").Append(Tokenizer.Quote(t));
        }

        return sb.ToString();
    }
}
