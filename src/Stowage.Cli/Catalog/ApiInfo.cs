namespace Stowage.Cli.Catalog;

/// <summary>One API as the server's catalogue (<c>GET /zstack/v1/apis</c>) describes it.</summary>
public sealed class ApiInfo
{
    /// <summary>Parameters every query command takes besides its conditions (the message form of ZStack's query).</summary>
    public static readonly IReadOnlyList<string> QueryOptions = ["count", "limit", "start", "sortBy", "sortDirection", "fields", "replyWithCount", "sort", "groupBy", "filterName"];

    public string Name { get; init; } = "";

    public string Method { get; init; } = "GET";

    public string Path { get; init; } = "";

    public string Kind { get; init; } = "sync";

    public string? BodyKey { get; init; }

    public bool NeedSession { get; init; } = true;

    public bool TakesTags { get; init; }

    public string? ResultClass { get; init; }

    public string Description { get; init; } = "";

    public IReadOnlyList<ParamInfo> Params { get; init; } = [];

    public string? QueryResource { get; init; }

    public string? UuidPath { get; init; }

    public string? ResourceType { get; init; }

    public IReadOnlyList<string> QueryFields { get; init; } = [];

    public IReadOnlyDictionary<string, string> QueryRelations { get; init; } = new Dictionary<string, string>();

    public bool IsQuery => QueryResource is not null;

    public bool IsAsync => Kind == "async";

    public bool HasBody => Method is "POST" or "PUT";

    /// <summary>The parameters a user writes as key=value: the declared ones plus the tag lists.</summary>
    public IEnumerable<ParamInfo> UserParams
    {
        get
        {
            if (IsQuery)
            {
                return Params.Where(p => p.Name != "q");
            }

            return TakesTags && HasBody ? Params.Concat(ParamInfo.TagParams) : Params;
        }
    }

    public ParamInfo? FindParam(string name) =>
        UserParams.FirstOrDefault(p => p.Name == name)
        ?? UserParams.SingleOrDefault(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));
}

public sealed class ParamInfo
{
    public static readonly IReadOnlyList<ParamInfo> TagParams =
    [
        new() { Name = "systemTags", Type = "list", Description = "system tags for the new resource (a,b)" },
        new() { Name = "userTags", Type = "list", Description = "user tags for the new resource (a,b)" },
    ];

    public string Name { get; init; } = "";

    public string Type { get; init; } = "string";

    public bool Required { get; init; }

    public bool InPath { get; init; }

    public bool Secret { get; init; }

    public string Description { get; init; } = "";

    public IReadOnlyList<string>? Choices { get; init; }

    public bool IgnoreCase { get; init; }

    public string? Default { get; init; }

    public string? ResourceType { get; init; }

    public string? Pattern { get; init; }

    public int? MaxLength { get; init; }

    public long? Min { get; init; }

    public long? Max { get; init; }

    /// <summary>Names a resource by uuid, so completion can offer existing uuids.</summary>
    public bool IsUuid => ResourceType is not null || Name == "uuid" || Name.EndsWith("Uuid", StringComparison.Ordinal) || Name.EndsWith("Uuids", StringComparison.Ordinal);
}

/// <summary>The whole catalogue.</summary>
public sealed class ApiDocument
{
    public int Version { get; init; }

    public IReadOnlyList<ApiInfo> Apis { get; init; } = [];

    public ApiInfo? Find(string name) =>
        Apis.FirstOrDefault(a => a.Name == name)
        ?? Apis.SingleOrDefault(a => string.Equals(a.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The query command listing resources a uuid parameter names, for completion; null when unknown.</summary>
    public ApiInfo? QueryFor(ApiInfo api, ParamInfo param)
    {
        if (param.ResourceType is { } rt && Apis.Where(a => a.IsQuery && a.ResourceType == rt).MinBy(a => a.Path.Length) is { } byType)
        {
            return byType;
        }

        if (param.InPath && api.Path.IndexOf("/{" + param.Name + "}", StringComparison.Ordinal) is var i and > 0)
        {
            var collection = api.Path[..i];
            if (Apis.FirstOrDefault(a => a.IsQuery && a.Path == collection) is { } byPath)
            {
                return byPath;
            }
        }

        var stem = param.Name.EndsWith("Uuids", StringComparison.Ordinal) ? param.Name[..^5] : param.Name.EndsWith("Uuid", StringComparison.Ordinal) ? param.Name[..^4] : null;
        return stem is { Length: > 0 } ? Apis.FirstOrDefault(a => a.IsQuery && a.QueryResource == stem) : null;
    }
}
