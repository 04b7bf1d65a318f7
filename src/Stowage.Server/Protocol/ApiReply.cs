using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Stowage.Server.Protocol;

/// <summary>
/// The body of a successful API call plus its <c>schema</c>: JSON paths of polymorphic objects mapped to
/// the ZStack class names the Java SDK decodes them into. Only paths present in the body are listed.
/// </summary>
public sealed class ApiReply
{
    private ApiReply(JsonObject body, Dictionary<string, string> schema)
    {
        Body = body;
        Schema = schema;
    }

    public JsonObject Body { get; }

    public Dictionary<string, string> Schema { get; }

    public static ApiReply Empty() => new([], []);

    public static ApiReply Of(JsonObject body) => new(body, []);

    public static ApiReply Inventory(object inventory, string className)
    {
        var node = JsonSerializer.SerializeToNode(inventory, inventory.GetType(), ZStackJson.Options);
        var schema = new Dictionary<string, string>();
        ZStackSchema.Describe(schema, "inventory", className, node);
        return new(new JsonObject { ["inventory"] = node }, schema);
    }

    /// <summary>A body of named results (no <c>inventory</c>): <paramref name="classes"/> gives the ZStack class of each top-level field.</summary>
    public static ApiReply Of(JsonObject body, IReadOnlyDictionary<string, string> classes)
    {
        var schema = new Dictionary<string, string>();
        foreach (var (field, className) in classes)
        {
            ZStackSchema.Describe(schema, field, className, body[field]);
        }

        return new(body, schema);
    }

    public static ApiReply Inventories(IEnumerable<(JsonNode? Node, string ClassName)> inventories, long? total)
    {
        var array = new JsonArray();
        var schema = new Dictionary<string, string>();
        foreach (var (inv, className) in inventories)
        {
            ZStackSchema.Describe(schema, "inventories[" + array.Count.ToString(CultureInfo.InvariantCulture) + "]", className, inv);
            array.Add(inv);
        }

        var body = new JsonObject { ["inventories"] = array };
        if (total is { } t)
        {
            body["total"] = t;
        }

        return new ApiReply(body, schema);
    }

    public static ApiReply Total(long total) => new(new JsonObject { ["total"] = total }, []);

    /// <summary>The body as sent, serialised once: <c>schema</c> is added to the live node when asked for and not empty.</summary>
    public static string RenderNode(ApiReply reply, bool withSchema)
    {
        if (!withSchema || reply.Schema.Count == 0)
        {
            return reply.Body.ToJsonString(ZStackJson.Options);
        }

        var schema = new JsonObject();
        foreach (var (path, className) in reply.Schema)
        {
            schema[path] = className;
        }

        reply.Body["schema"] = schema;
        try
        {
            return reply.Body.ToJsonString(ZStackJson.Options);
        }
        finally
        {
            reply.Body.Remove("schema");
        }
    }

    /// <summary>The body as sent: a copy with <c>schema</c> added when asked for and not empty.</summary>
    public static string Render(string bodyJson, string? schemaJson, bool withSchema)
    {
        if (!withSchema || string.IsNullOrEmpty(schemaJson) || schemaJson == "{}")
        {
            return bodyJson;
        }

        var node = JsonNode.Parse(bodyJson)!.AsObject();
        node["schema"] = JsonNode.Parse(schemaJson);
        return node.ToJsonString(ZStackJson.Options);
    }
}
