using System.Text.Json.Nodes;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Meta;

/// <summary>
/// OpenAPI 3.1 description generated from the API catalogue, so it can never drift from what is served.
/// PUT actions that share a path are one operation whose body is one of the action wrappers.
/// </summary>
public static class OpenApiDocument
{
    public const string Path = "/zstack/v1/openapi.json";

    public static JsonObject Build(ApiCatalog catalog)
    {
        var paths = new JsonObject();
        foreach (var group in catalog.All.GroupBy(a => a.Path).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var item = new JsonObject();
            foreach (var byMethod in group.SelectMany(a => new[] { a.Method }.Concat(a.ExtraMethods).Select(m => (m, a))).GroupBy(x => x.m))
            {
                var apis = byMethod.Select(x => x.a).ToList();
                item[byMethod.Key.ToLowerInvariant()] = Operation(apis, byMethod.Key);
            }

            paths["/zstack/v1" + group.Key] = item;
        }

        foreach (var (path, item) in OpenApiExtraPaths.All())
        {
            paths[path] = item;
        }
        paths[Export.ExportDownload.PathPrefix + "/{token}/{fileName}"] = Export.ExportDownloadDocument.PathItem();

        return new JsonObject
        {
            ["openapi"] = "3.1.0",
            ["info"] = new JsonObject
            {
                ["title"] = "Stowage — ZStack REST v1 backup-storage API",
                ["version"] = "1.0",
                ["description"] = "Every path is also served under /v1. Async operations answer 202 with {location, apiTimeout}; poll GET /zstack/v1/api-jobs/{jobUuid} until 200 (result) or 503 (error).",
            },
            ["components"] = new JsonObject
            {
                ["securitySchemes"] = new JsonObject
                {
                    ["session"] = new JsonObject { ["type"] = "apiKey", ["in"] = "header", ["name"] = "Authorization", ["description"] = "OAuth <session uuid> from LogInByAccount" },
                },
                ["schemas"] = new JsonObject
                {
                    ["Error"] = new JsonObject
                    {
                        ["type"] = "object",
                        ["properties"] = new JsonObject
                        {
                            ["error"] = new JsonObject
                            {
                                ["type"] = "object",
                                ["properties"] = new JsonObject { ["code"] = Str(), ["description"] = Str(), ["details"] = Str(), ["cause"] = new JsonObject { ["type"] = "object" } },
                            },
                        },
                    },
                },
            },
            ["paths"] = paths,
        };
    }

    private static JsonObject Operation(List<ApiDescriptor> apis, string method)
    {
        var first = apis[0];
        var op = new JsonObject
        {
            ["operationId"] = method == first.Method ? first.Name : first.Name + "_" + method,
            ["summary"] = string.Join(" / ", apis.Select(a => a.Name)),
            ["description"] = string.Join("\n", apis.Select(a => $"{a.Name} ({a.Kind.ToString().ToLowerInvariant()}): {a.Description}")),
        };
        if (first.NeedSession)
        {
            op["security"] = new JsonArray(new JsonObject { ["session"] = new JsonArray() });
        }

        var parameters = new JsonArray();
        foreach (var p in first.Params.Where(p => p.InPath))
        {
            parameters.Add(new JsonObject { ["name"] = p.Name, ["in"] = "path", ["required"] = true, ["schema"] = Schema(p), ["description"] = p.Description });
        }

        if (method is "GET" or "DELETE")
        {
            foreach (var p in first.Params.Where(p => !p.InPath))
            {
                parameters.Add(new JsonObject { ["name"] = p.Name, ["in"] = "query", ["required"] = p.Required, ["schema"] = Schema(p), ["description"] = p.Description });
            }
        }
        else
        {
            var bodies = new JsonArray();
            foreach (var a in apis)
            {
                var props = new JsonObject();
                var required = new JsonArray();
                foreach (var p in a.Params.Where(p => !p.InPath))
                {
                    props[p.Name] = Schema(p);
                    if (p.Required)
                    {
                        required.Add(p.Name);
                    }
                }

                var wrapper = new JsonObject { ["type"] = "object", ["properties"] = props, ["additionalProperties"] = false };
                if (required.Count > 0)
                {
                    wrapper["required"] = required;
                }

                var body = new JsonObject
                {
                    ["title"] = a.Name,
                    ["type"] = "object",
                    ["properties"] = new JsonObject { [a.BodyKey ?? "params"] = wrapper, ["systemTags"] = StrList(), ["userTags"] = StrList() },
                };
                bodies.Add(body);
            }

            op["requestBody"] = new JsonObject
            {
                ["required"] = false,
                ["content"] = new JsonObject { ["application/json"] = new JsonObject { ["schema"] = bodies.Count == 1 ? bodies[0]!.DeepClone() : new JsonObject { ["oneOf"] = bodies } } },
            };
        }

        if (parameters.Count > 0)
        {
            op["parameters"] = parameters;
        }

        var responses = new JsonObject();
        if (apis.Any(a => a.Kind == ApiKind.Async))
        {
            responses["202"] = new JsonObject { ["description"] = "accepted: {location, apiTimeout}; poll the location" };
        }

        if (apis.Any(a => a.Kind == ApiKind.Sync))
        {
            responses["200"] = new JsonObject { ["description"] = "result" + (first.ResultClass is { } rc ? $" ({rc})" : string.Empty) };
        }

        responses["400"] = new JsonObject { ["description"] = "malformed request", ["content"] = ErrorContent() };
        responses["503"] = new JsonObject { ["description"] = "the API failed", ["content"] = ErrorContent() };
        op["responses"] = responses;
        return op;
    }

    private static JsonObject ErrorContent() =>
        new() { ["application/json"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = "#/components/schemas/Error" } } };

    private static JsonObject Str() => new() { ["type"] = "string" };

    private static JsonObject StrList() => new() { ["type"] = "array", ["items"] = Str() };

    private static JsonObject Schema(ParamSpec p)
    {
        var s = p.Type switch
        {
            ParamType.Int => new JsonObject { ["type"] = "integer", ["format"] = "int32" },
            ParamType.Long => new JsonObject { ["type"] = "integer", ["format"] = "int64" },
            ParamType.Bool => new JsonObject { ["type"] = "boolean" },
            ParamType.StringList => StrList(),
            ParamType.Map => new JsonObject { ["type"] = "object", ["additionalProperties"] = Str() },
            _ => Str(),
        };
        if (p.MaxLength is { } max)
        {
            s["maxLength"] = max;
        }

        if (p.ValidValues is { } valid)
        {
            s["enum"] = new JsonArray([.. valid.Select(v => JsonValue.Create(v))]);
        }

        if (p.Min is { } min)
        {
            s["minimum"] = min;
        }

        if (p.Max is { } hi)
        {
            s["maximum"] = hi;
        }

        if (p.Default is { } d)
        {
            s["default"] = d;
        }

        if (p.Secret)
        {
            s["format"] = "password";
            s["writeOnly"] = true;
        }

        if (p.ResourceType is { } rt)
        {
            s["x-resource-type"] = rt;
        }

        return s;
    }
}
