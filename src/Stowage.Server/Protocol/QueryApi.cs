using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stowage.Core.Errors;
using Stowage.Core.Query;
using Stowage.Persistence;
using Stowage.Persistence.Query;

namespace Stowage.Server.Protocol;

/// <summary>Builds query API descriptors: the query string becomes a <see cref="QueryRequest"/> the engine runs in SQL.</summary>
public static class QueryApi
{
    public delegate Task<IReadOnlyList<object>> InventoryMapper(StowageDbContext db, IReadOnlyList<object> rows, CancellationToken cancellationToken);

    public static IReadOnlyList<ParamSpec> Params { get; } =
    [
        new("q", ParamType.StringList) { NoTrim = true, SplitCommas = false, Description = "a condition <field><op><value>; repeat to AND several" },
        new("limit") { Description = "maximum rows (default 1000)" },
        new("start") { Description = "offset of the first row" },
        new("count", ParamType.Bool) { Description = "return only the number of matches" },
        new("replyWithCount", ParamType.Bool) { Description = "add 'total' to the page" },
        new("sort") { Description = "+field or -field" },
        new("sortBy") { Description = "field to sort on (message form of sort)" },
        new("sortDirection") { ValidValues = ["asc", "desc"], Description = "asc or desc" },
        new("fields", ParamType.StringList) { Description = "comma-separated fields to return" },
        new("groupBy") { Description = "accepted and ignored, as in ZStack" },
        new("filterName") { Description = "accepted and ignored" },
    ];

    private static readonly ParamSpec PathKey = new("uuid") { InPath = true, Required = true, Description = "uuid (or id) of one resource" };

    /// <summary>Two descriptors: the collection path and <c>/{uuid}</c>.</summary>
    public static IEnumerable<ApiDescriptor> Define(string name, string path, string resource, string resultClass, InventoryMapper map, string description)
    {
        ApiHandler handler = ctx => HandleAsync(ctx, resource, resultClass, map);
        yield return new ApiDescriptor
        {
            Name = name, Method = "GET", Path = path, Kind = ApiKind.Sync, QueryResource = resource, Params = Params,
            ResultClass = resultClass, Description = description, Handler = handler,
        };
        yield return new ApiDescriptor
        {
            Name = name + "ByUuid", Method = "GET", Path = path + "/{uuid}", Kind = ApiKind.Sync, QueryResource = resource, Params = [PathKey],
            ResultClass = resultClass, Description = description + " (one resource by uuid)", Handler = handler,
        };
    }

    public static QueryRequest Parse(ApiArguments args, string keyField = "uuid")
    {
        if (args.String("uuid") is { } uuid)
        {
            // ZStack ignores every other parameter of GET /<resource>/{uuid}.
            return new QueryRequest([new QueryCondition(keyField, QueryOp.Eq, uuid)]);
        }

        var conditions = (args.List("q") ?? []).Select(QueryConditionParser.Parse).ToList();
        var limit = ParseInt(args.String("limit"), "limit") ?? QueryRequest.DefaultLimit;
        var start = ParseInt(args.String("start"), "start") ?? 0;
        string? sortBy = null;
        var desc = false;
        if (args.String("sort") is { Length: > 0 } sort)
        {
            desc = sort[0] == '-';
            sortBy = sort[0] is '+' or '-' or ' ' ? sort[1..].Trim() : sort.Trim();
        }
        else if (args.String("sortBy") is { Length: > 0 } by)
        {
            sortBy = by;
            desc = args.String("sortDirection") == "desc";
        }

        var fields = args.List("fields")?.SelectMany(f => f.Split(',')).Select(f => f.Trim()).Where(f => f.Length > 0).ToList();
        return new QueryRequest(conditions, limit, start, args.Bool("count") ?? false, args.Bool("replyWithCount") ?? false, sortBy, desc, fields is { Count: > 0 } ? fields : null);
    }

    private static int? ParseInt(string? text, string name)
    {
        if (text is null)
        {
            return null;
        }

        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new BadRequestException($"'{name}' must be a non-negative integer, but got {text}");
    }

    private static async Task<ApiReply> HandleAsync(ApiContext ctx, string resource, string resultClass, InventoryMapper map)
    {
        var executor = ctx.Get<QueryExecutor>();
        var definition = executor.Registry.Get(resource);
        var keyField = definition.Fields.FirstOrDefault(f => f.Column == definition.KeyColumn)?.Name ?? "uuid";
        var request = Parse(ctx.Args, keyField);
        foreach (var c in request.Conditions)
        {
            TextRules.Check("q", c.Value ?? string.Empty);
        }

        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        var result = await executor.ExecuteAsync(db, resource, request, ctx.CancellationToken);
        if (result.Rows is null)
        {
            return ApiReply.Total(result.Total ?? 0);
        }

        var inventories = await map(db, result.Rows, ctx.CancellationToken);
        var nodes = inventories.Select(i => (Project(JsonSerializer.SerializeToNode(i, i.GetType(), ZStackJson.Options), request.Fields), i is IZStackClass z ? z.ZStackClass : resultClass));
        return ApiReply.Inventories(nodes, result.Total);
    }

    private static JsonNode? Project(JsonNode? node, IReadOnlyList<string>? fields)
    {
        if (fields is null || node is not JsonObject obj)
        {
            return node;
        }

        foreach (var key in obj.Select(p => p.Key).ToList())
        {
            if (!fields.Contains(key))
            {
                obj.Remove(key);
            }
        }

        return obj;
    }
}
