using System.Globalization;
using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Persistence;

namespace Stowage.Server.Protocol;

/// <summary>
/// Turns the raw inputs of a call (body wrapper, query string, path) into <see cref="ApiArguments"/>,
/// applying each <see cref="ParamSpec"/> in ZStack's order: trim, required, length, valid values,
/// pattern, non-empty, empty string, range, then resource existence (<c>SYS.1003</c>).
/// </summary>
public static class ArgumentBinder
{
    public static ApiArguments FromJson(ApiDescriptor api, JsonElement? wrapper, IReadOnlyDictionary<string, string> path)
    {
        var raw = new Dictionary<string, object>(StringComparer.Ordinal);
        if (wrapper is { ValueKind: JsonValueKind.Object } obj)
        {
            foreach (var prop in obj.EnumerateObject())
            {
                if (prop.Name is "systemTags" or "userTags")
                {
                    continue;
                }

                var spec = api.Params.FirstOrDefault(p => p.Name == prop.Name && !p.InPath)
                    ?? throw ApiException.Argument($"field[{prop.Name}] is not a parameter of message[{api.MessageName}]");
                if (prop.Value.ValueKind == JsonValueKind.Null)
                {
                    continue;
                }

                raw[prop.Name] = FromElement(api, spec, prop.Value);
            }
        }
        else if (wrapper is { ValueKind: not JsonValueKind.Null })
        {
            throw new BadRequestException($"the body of {api.Name} must hold a JSON object under '{api.BodyKey}'");
        }

        AddPath(api, path, raw);
        return Finish(api, raw);
    }

    public static ApiArguments FromQuery(ApiDescriptor api, IEnumerable<KeyValuePair<string, string[]>> query, IReadOnlyDictionary<string, string> path)
    {
        var raw = new Dictionary<string, object>(StringComparer.Ordinal);
        var lists = new Dictionary<string, SortedDictionary<int, string>>(StringComparer.Ordinal);
        var maps = new Dictionary<string, Dictionary<string, string>>(StringComparer.Ordinal);
        foreach (var (key, values) in query)
        {
            var spec = api.Params.FirstOrDefault(p => p.Name == key && !p.InPath);
            if (spec is null)
            {
                var dot = key.IndexOf('.', StringComparison.Ordinal);
                var baseSpec = dot > 0 ? api.Params.FirstOrDefault(p => p.Name == key[..dot] && !p.InPath) : null;
                if (baseSpec?.Type == ParamType.StringList && int.TryParse(key[(dot + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var idx))
                {
                    var l = lists.TryGetValue(baseSpec.Name, out var existing) ? existing : lists[baseSpec.Name] = [];
                    l[idx] = values.LastOrDefault() ?? string.Empty;
                    continue;
                }

                if (baseSpec?.Type == ParamType.Map)
                {
                    var m = maps.TryGetValue(baseSpec.Name, out var em) ? em : maps[baseSpec.Name] = new Dictionary<string, string>(StringComparer.Ordinal);
                    m[key[(dot + 1)..]] = values.LastOrDefault() ?? string.Empty;
                    continue;
                }

                // ZStack ignores unknown query-string parameters; so do we.
                continue;
            }

            if (spec.Type == ParamType.StringList)
            {
                raw[key] = spec.SplitCommas ? values.SelectMany(v => v.Split(',')).ToList() : values.ToList();
                continue;
            }

            if (values.Length > 1)
            {
                throw new BadRequestException($"parameter[{key}] of {api.Name} takes one value, got {values.Length}");
            }

            raw[key] = FromText(api, spec, values[0]);
        }

        foreach (var (name, l) in lists)
        {
            raw[name] = l.Values.ToList();
        }

        foreach (var (name, m) in maps)
        {
            raw[name] = m;
        }

        AddPath(api, path, raw);
        return Finish(api, raw);
    }

    /// <summary>Checks that resource-typed parameters name live resources of that type.</summary>
    /// <summary>
    /// Checks that every resource parameter names an existing resource of its type. Answers false when a
    /// <see cref="ParamSpec.SuccessIfMissing"/> parameter names none: the call then succeeds without running.
    /// </summary>
    public static async Task<bool> CheckResourcesAsync(ApiDescriptor api, ApiArguments args, StowageDbContext db, CancellationToken cancellationToken)
    {
        foreach (var spec in api.Params.Where(p => p.ResourceType is not null && args.Has(p.Name)))
        {
            var uuids = spec.Type == ParamType.StringList ? args.List(spec.Name)!.ToList() : [args.String(spec.Name)!];
            var found = await db.Resources.AsNoTracking()
                .Where(r => uuids.Contains(r.Uuid) && r.ResourceType == spec.ResourceType)
                .Select(r => r.Uuid).ToListAsync(cancellationToken);
            var missing = uuids.Except(found, StringComparer.Ordinal).ToList();
            if (missing.Count > 0 && spec.SuccessIfMissing)
            {
                return false;
            }

            if (missing.Count > 0)
            {
                throw ApiException.NotFound(spec.Type == ParamType.StringList
                    ? $"invalid field[{spec.Name}], resource[uuids:[{string.Join(", ", missing)}], type:{spec.ResourceType}] not found"
                    : $"invalid field[{spec.Name}], resource[uuid:{missing[0]}, type:{spec.ResourceType}] not found");
            }
        }

        return true;
    }

    private static void AddPath(ApiDescriptor api, IReadOnlyDictionary<string, string> path, Dictionary<string, object> raw)
    {
        foreach (var (k, v) in path)
        {
            if (api.Params.FirstOrDefault(p => p.Name == k) is { } spec)
            {
                raw[k] = FromText(api, spec, v);
            }
        }
    }

    private static object FromElement(ApiDescriptor api, ParamSpec spec, JsonElement e)
    {
        try
        {
            switch (spec.Type)
            {
                case ParamType.String when e.ValueKind == JsonValueKind.String:
                    return e.GetString()!;
                case ParamType.Int when e.ValueKind == JsonValueKind.Number && e.TryGetInt32(out var i):
                    return i;
                case ParamType.Long when e.ValueKind == JsonValueKind.Number && e.TryGetInt64(out var l):
                    return l;
                case ParamType.Bool when e.ValueKind is JsonValueKind.True or JsonValueKind.False:
                    return e.GetBoolean();
                case ParamType.StringList when e.ValueKind == JsonValueKind.Array:
                    return e.EnumerateArray().Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()!
                        : throw ApiException.Argument($"field[{spec.Name}] of message[{api.MessageName}] must be a list of strings")).ToList();
                case ParamType.Map when e.ValueKind == JsonValueKind.Object:
                    return e.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString()! : p.Value.GetRawText(), StringComparer.Ordinal);
            }
        }
        catch (InvalidOperationException)
        {
            throw ApiException.Argument($"field[{spec.Name}] of message[{api.MessageName}] is not valid text");
        }

        throw ApiException.Argument($"field[{spec.Name}] of message[{api.MessageName}] must be {TypeName(spec.Type)}, but got {e.ValueKind.ToString().ToLowerInvariant()}");
    }

    private static object FromText(ApiDescriptor api, ParamSpec spec, string text) => spec.Type switch
    {
        ParamType.Int => int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) ? i
            : throw ApiException.Argument($"field[{spec.Name}] of message[{api.MessageName}] must be an integer, but got {text}"),
        ParamType.Long => long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l
            : throw ApiException.Argument($"field[{spec.Name}] of message[{api.MessageName}] must be an integer, but got {text}"),
        ParamType.Bool => bool.TryParse(text, out var b) ? b
            : throw ApiException.Argument($"field[{spec.Name}] of message[{api.MessageName}] must be true or false, but got {text}"),
        ParamType.StringList => text.Split(',').ToList(),
        _ => text,
    };

    private static string TypeName(ParamType t) => t switch
    {
        ParamType.String => "a string",
        ParamType.Int or ParamType.Long => "an integer",
        ParamType.Bool => "a boolean",
        ParamType.StringList => "a list of strings",
        _ => "an object",
    };

    private static ApiArguments Finish(ApiDescriptor api, Dictionary<string, object> raw)
    {
        var args = new ApiArguments();
        foreach (var spec in api.Params)
        {
            raw.TryGetValue(spec.Name, out var value);
            if (value is string s)
            {
                value = CheckString(api, spec, s);
            }
            else if (value is List<string> list)
            {
                for (var i = 0; i < list.Count; i++)
                {
                    list[i] = CheckString(api, spec, list[i]);
                }

                if (spec.NonEmpty && list.Count == 0)
                {
                    throw ApiException.Argument($"field[{spec.Name}] must be a nonempty list");
                }

                value = list;
            }
            else if (value is Dictionary<string, string> map)
            {
                foreach (var (k, v) in map)
                {
                    TextRules.Check(spec.Name + "." + k, v);
                }
            }
            else if (value is int or long)
            {
                var n = Convert.ToInt64(value, CultureInfo.InvariantCulture);
                if ((spec.Min is { } lo && n < lo) || (spec.Max is { } hi && n > hi))
                {
                    throw ApiException.Argument($"field[{spec.Name}] must be in range of [{spec.Min}, {spec.Max}]");
                }
            }

            if (value is null)
            {
                if (spec.Required)
                {
                    throw ApiException.Argument($"field[{spec.Name}] of message[{api.MessageName}] is mandatory, can not be null");
                }

                continue;
            }

            args.Set(spec.Name, value);
        }

        return args;
    }

    private static string CheckString(ApiDescriptor api, ParamSpec spec, string value)
    {
        TextRules.Check(spec.Name, value);
        if (TextRules.IsDisplayText(spec.Name))
        {
            TextRules.CheckDisplay(spec.Name, value);
        }

        var v = spec.NoTrim ? value : value.Trim();
        if (spec.InPath && v.Length == 0)
        {
            // A path segment of only spaces names nothing: refused, not taken as "no such resource, done".
            throw ApiException.Argument($"field[{spec.Name}] of message[{api.MessageName}] cannot be empty or only white space");
        }

        if (spec.MaxLength is { } max && v.Length > max)
        {
            throw ApiException.Argument($"field[{spec.Name}] of message[{api.MessageName}] exceeds max length of string. expected was <= {max}, actual was {v.Length}");
        }

        if (spec.ValidValues is { } valid)
        {
            var match = valid.FirstOrDefault(x => string.Equals(x, v, spec.IgnoreCase ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal));
            if (match is null)
            {
                throw ApiException.Argument($"valid value for field[{spec.Name}] of message[{api.MessageName}] are [{string.Join(", ", valid)}], but {v} found");
            }

            v = match;
        }

        if (!spec.EmptyString && v.Length == 0)
        {
            throw ApiException.Argument($"field[{spec.Name}] cannot be an empty string");
        }

        // A required field must match its pattern even when empty: "" is no 32-hex uuid.
        if (spec.Pattern is { } pattern && (v.Length > 0 || spec.Required) && !pattern.IsMatch(v))
        {
            throw ApiException.Argument($"field[{spec.Name}] of message[{api.MessageName}] does not match the pattern {spec.PatternText ?? pattern.ToString()}");
        }

        if (spec.ResourceType is not null && !Stowage.Core.Resources.ResourceUuid.IsValid(v))
        {
            throw ApiException.Argument($"field[{spec.Name}] of message[{api.MessageName}] must be a uuid of 32 lowercase hex characters, but got {v}");
        }

        return v;
    }
}

/// <summary>
/// Rules every user-supplied text obeys, whatever the field: no NUL (PostgreSQL cannot store it) and no broken
/// UTF-16. Names and descriptions, which are shown in tables, terminals and log lines, also hold no control
/// characters (line breaks, ESC...) and no bidirectional overrides, which could forge or disguise what is shown.
/// </summary>
public static class TextRules
{
    /// <summary>Fields shown to people: <c>name</c>, <c>description</c>, <c>tag</c> and any <c>...Name</c>.</summary>
    public static bool IsDisplayText(string field) =>
        field is "name" or "description" or "tag" || field.EndsWith("Name", StringComparison.Ordinal);

    public static void CheckDisplay(string field, string value)
    {
        foreach (var c in value)
        {
            if (char.IsControl(c) || IsBidiControl(c))
            {
                throw ApiException.Argument($"field[{field}] contains a control character (U+{(int)c:X4}); names and descriptions are one line of visible text");
            }
        }
    }

    /// <summary>Embeddings, overrides and isolates (U+202A..U+202E, U+2066..U+2069) and the marks U+200E/U+200F, U+061C.</summary>
    public static bool IsBidiControl(char c) => c is (>= '\u202A' and <= '\u202E') or (>= '\u2066' and <= '\u2069') or '\u200E' or '\u200F' or '\u061C';


    public static void Check(string field, string value)
    {
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c == '\0')
            {
                throw ApiException.Argument($"field[{field}] contains a NUL character");
            }

            if (char.IsHighSurrogate(c) && (i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1])))
            {
                throw ApiException.Argument($"field[{field}] contains invalid UTF-16 text");
            }

            if (char.IsLowSurrogate(c) && (i == 0 || !char.IsHighSurrogate(value[i - 1])))
            {
                throw ApiException.Argument($"field[{field}] contains invalid UTF-16 text");
            }
        }
    }
}
