using System.Security.Cryptography;
using System.Text;
using System.Text.Json.Nodes;
using Stowage.Persistence.Query;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Meta;

/// <summary>
/// The machine-readable API catalogue at <c>GET /zstack/v1/apis</c> (and <c>/v1/apis</c>): every API with
/// its wire shape and parameters, generated from the descriptors. The command-line client builds every
/// command from it, so a new server API needs no client code. No session is needed, as for the OpenAPI
/// document. The <c>…ByUuid</c> twins of query APIs are folded into their base API as <c>uuidPath</c>.
/// </summary>
public static class ApiListDocument
{
    public const string ByUuidSuffix = "ByUuid";

    public static JsonObject Build(ApiCatalog catalog, QueryRegistry registry)
    {
        var apis = new JsonArray();
        foreach (var api in catalog.All.OrderBy(a => a.Name, StringComparer.Ordinal))
        {
            if (api.QueryResource is not null && api.Name.EndsWith(ByUuidSuffix, StringComparison.Ordinal) && catalog.Find(api.Name[..^ByUuidSuffix.Length]) is not null)
            {
                continue;
            }

            apis.Add(Api(api, catalog, registry));
        }

        return new JsonObject { ["version"] = 1, ["apis"] = apis };
    }

    /// <summary>Strong validator of the document's text, so clients can revalidate their cache with If-None-Match.</summary>
    public static string ETag(string json) => "\"" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(json)))[..32] + "\"";

    public static void MapApiList(this WebApplication app)
    {
        foreach (var prefix in ApiRouting.Prefixes)
        {
            app.MapGet(prefix + "/apis", (HttpContext http, ApiCatalog catalog, QueryRegistry registry) =>
            {
                var json = Build(catalog, registry).ToJsonString(ZStackJson.Options);
                var etag = ETag(json);
                http.Response.Headers.ETag = etag;
                http.Response.Headers.CacheControl = "no-cache";
                return http.Request.Headers.IfNoneMatch.Contains(etag)
                    ? Results.StatusCode(StatusCodes.Status304NotModified)
                    : Results.Text(json, "application/json");
            }).ExcludeFromDescription();
        }
    }

    private static JsonObject Api(ApiDescriptor api, ApiCatalog catalog, QueryRegistry registry)
    {
        var o = new JsonObject
        {
            ["name"] = api.Name,
            ["method"] = api.Method,
            ["path"] = api.Path,
            ["kind"] = api.Kind == ApiKind.Sync ? "sync" : "async",
            ["bodyKey"] = api.Method is "POST" or "PUT" ? api.BodyKey ?? "params" : null,
            ["needSession"] = api.NeedSession,
            ["takesTags"] = api.TakesTags,
            ["resultClass"] = api.ResultClass,
            ["description"] = api.Description,
            ["params"] = new JsonArray([.. api.Params.Select(Param)]),
        };
        if (api.QueryResource is { } resource)
        {
            o["queryResource"] = resource;
            if (catalog.Find(api.Name + ByUuidSuffix) is { } twin)
            {
                o["uuidPath"] = twin.Path;
            }

            if (registry.All.FirstOrDefault(r => r.Name == resource) is { } def)
            {
                o["resourceType"] = def.TagResourceType;
                o["queryFields"] = new JsonArray([.. def.Fields.Select(f => f.Name).Concat(def.ListFields.Select(l => l.Name)).Select(n => (JsonNode?)n)]);
                o["queryRelations"] = new JsonObject(def.Relations.Select(r => KeyValuePair.Create(r.Name, (JsonNode?)r.TargetResource)));
            }
        }

        return o;
    }

    private static JsonObject Param(ParamSpec p)
    {
        var o = new JsonObject
        {
            ["name"] = p.Name,
            ["type"] = p.Type switch
            {
                ParamType.Int => "int",
                ParamType.Long => "long",
                ParamType.Bool => "bool",
                ParamType.StringList => "list",
                ParamType.Map => "map",
                _ => "string",
            },
            ["required"] = p.Required,
            ["inPath"] = p.InPath,
            ["secret"] = p.Secret,
            ["description"] = p.Description,
        };
        if (p.ValidValues is { } valid)
        {
            o["choices"] = new JsonArray([.. valid.Select(v => (JsonNode?)v)]);
            o["ignoreCase"] = p.IgnoreCase;
        }

        Set(o, "default", p.Default);
        Set(o, "resourceType", p.ResourceType);
        Set(o, "pattern", p.PatternText);
        if (p.MaxLength is { } max)
        {
            o["maxLength"] = max;
        }

        if (p.Min is { } min)
        {
            o["min"] = min;
        }

        if (p.Max is { } hi)
        {
            o["max"] = hi;
        }

        return o;
    }

    private static void Set(JsonObject o, string key, string? value)
    {
        if (value is not null)
        {
            o[key] = value;
        }
    }
}
