using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Stowage.Server.Features.Meta;
using Stowage.Server.Protocol;
using Stowage.Server.Tests.Protocol;

namespace Stowage.Server.Tests.Features;

/// <summary>The OpenAPI document is generated from the catalogue and lists every API path and verb.</summary>
public sealed class OpenApiTests
{
    [Fact]
    public async Task OpenApi_lists_every_api_path_with_its_methods_without_a_session()
    {
        var (host, _) = await TestApiFeature.StartAsync();
        await using var _h = host;
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        using var response = await http.GetAsync(new Uri("/zstack/v1/openapi.json", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
        var doc = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        Assert.StartsWith("3.", doc["openapi"]!.GetValue<string>());
        var paths = doc["paths"]!.AsObject();

        var catalog = host.Services.GetRequiredService<ApiCatalog>();
        foreach (var api in catalog.All)
        {
            var item = paths["/zstack/v1" + api.Path]?.AsObject();
            Assert.True(item is not null, $"{api.Name}: {api.Path} is missing");
            foreach (var method in new[] { api.Method }.Concat(api.ExtraMethods))
            {
                var op = item[method.ToLowerInvariant()];
                Assert.True(op is not null, $"{api.Name}: {method} {api.Path} is missing");
                Assert.Contains(api.Name, op["summary"]!.GetValue<string>());
            }
        }

        var extra = OpenApiExtraPaths.All().Select(p => p.Path).ToList();
        const string exportDownload = "/zstack/v1/exports/{token}/{fileName}";
        Assert.Equal(catalog.All.Select(a => "/zstack/v1" + a.Path).Concat(extra).Append(exportDownload).Distinct().Order(StringComparer.Ordinal), paths.Select(p => p.Key).Order(StringComparer.Ordinal));
        Assert.NotNull(paths[OpenApiExtraPaths.UploadPath]!["put"]);
        Assert.Null(paths[exportDownload]!["get"]!["security"]);
        foreach (var expected in new[] { "/zstack/v1/accounts/login", "/zstack/v1/zones", "/zstack/v1/zones/{uuid}/actions", "/zstack/v1/global-configurations/{category}/{name}/actions", "/zstack/v1/tags/{uuid}", "/zstack/v1/test/slow" })
        {
            Assert.True(paths.ContainsKey(expected), expected);
        }

        // Shared PUT paths describe every action wrapper; only session APIs demand the Authorization header.
        var zoneActions = paths["/zstack/v1/zones/{uuid}/actions"]!["put"]!.ToJsonString();
        Assert.Contains("updateZone", zoneActions);
        Assert.Contains("changeZoneState", zoneActions);
        Assert.Null(paths["/zstack/v1/accounts/login"]!["put"]!["security"]);
        Assert.NotNull(paths["/zstack/v1/zones"]!["post"]!["security"]);

        using var viaV1 = await http.GetAsync(new Uri("/v1/openapi.json", UriKind.Relative));
        Assert.Equal(doc.ToJsonString(), JsonNode.Parse(await viaV1.Content.ReadAsStringAsync())!.ToJsonString());
    }
}
