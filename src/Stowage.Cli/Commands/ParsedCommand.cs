using Stowage.Cli.Catalog;

namespace Stowage.Cli.Commands;

/// <summary>A command line checked against the catalogue: parameter values by name, and query conditions in order.</summary>
public sealed class ParsedCommand
{
    private static readonly string[] NullSuffixes = [" is null", " not null"];

    public ParsedCommand(ApiInfo api)
    {
        Api = api;
    }

    public ApiInfo Api { get; }

    /// <summary>Values by the catalogue's parameter name; lists hold one entry per element.</summary>
    public Dictionary<string, List<string>> Values { get; } = new(StringComparer.Ordinal);

    /// <summary>Map parameters given as key.sub=value.</summary>
    public Dictionary<string, Dictionary<string, string>> Maps { get; } = new(StringComparer.Ordinal);

    /// <summary>Query conditions exactly as the server's <c>q</c> takes them.</summary>
    public List<string> Conditions { get; } = [];

    public string? Single(string name) => Values.TryGetValue(name, out var v) && v.Count > 0 ? v[0] : null;

    public void Set(string name, string value) => Values[name] = [value];

    public static ParsedCommand Parse(ApiInfo api, IReadOnlyList<string> tokens)
    {
        var cmd = new ParsedCommand(api);
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (api.IsQuery && !IsQueryOption(token))
            {
                if (i + 2 < tokens.Count && tokens[i + 1] is "is" or "not" && tokens[i + 2] == "null" && !token.Contains('=', StringComparison.Ordinal))
                {
                    cmd.Conditions.Add($"{token} {tokens[i + 1]} null");
                    i += 2;
                }
                else if (NullSuffixes.Any(s => token.EndsWith(s, StringComparison.Ordinal)) || token.IndexOfAny(['=', '>', '<']) > 0)
                {
                    cmd.Conditions.Add(token);
                }
                else
                {
                    throw new UsageException(
                        $"bad query condition '{token}' for {api.Name}",
                        "write field=value; operators: =, !=, >, <, >=, <=, ?= (in a,b), !?= (not in), ~= (like, % and _), !~=, or 'field is null' / 'field not null'; "
                        + "options: " + string.Join(", ", ApiInfo.QueryOptions.Take(7)));
                }

                continue;
            }

            cmd.AddKeyValue(token);
        }

        return cmd;
    }

    private static bool IsQueryOption(string token)
    {
        var eq = token.IndexOf('=', StringComparison.Ordinal);
        return eq > 0 && ApiInfo.QueryOptions.Contains(token[..eq]);
    }

    private void AddKeyValue(string token)
    {
        var eq = token.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0)
        {
            var hint = Api.FindParam(token) is { } p ? $"write {p.Name}=value" : null;
            throw new UsageException($"expected key=value, got '{token}'", hint ?? $"see: stowage-cli help {Api.Name}");
        }

        var key = token[..eq];
        var value = token[(eq + 1)..];
        var dot = key.IndexOf('.', StringComparison.Ordinal);
        var name = dot > 0 ? key[..dot] : key;
        var param = Api.FindParam(name)
            ?? throw new UsageException(
                $"unknown parameter '{name}' for {Api.Name}{Suggest.DidYouMean(name, Api.UserParams.Select(p => p.Name))}",
                $"parameters: {string.Join(", ", Api.UserParams.Select(p => p.Name))}");
        if (dot > 0)
        {
            if (param.Type != "map")
            {
                throw new UsageException($"parameter '{param.Name}' of {Api.Name} is a {param.Type}, not a map: write {param.Name}=value");
            }

            if (!Maps.TryGetValue(param.Name, out var map))
            {
                Maps[param.Name] = map = new Dictionary<string, string>(StringComparer.Ordinal);
            }

            map[key[(dot + 1)..]] = value;
            return;
        }

        if (param.Type == "map")
        {
            throw new UsageException($"parameter '{param.Name}' of {Api.Name} is a map: write {param.Name}.key=value");
        }

        if (param.Type == "list")
        {
            if (!Values.TryGetValue(param.Name, out var list))
            {
                Values[param.Name] = list = [];
            }

            list.AddRange(value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));
            return;
        }

        if (Values.ContainsKey(param.Name))
        {
            throw new UsageException($"parameter '{param.Name}' is given twice");
        }

        Values[param.Name] = [value];
    }
}
