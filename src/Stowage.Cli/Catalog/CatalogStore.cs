using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stowage.Cli.Http;

namespace Stowage.Cli.Catalog;

/// <summary>
/// Gets the server's API catalogue, cached per server URL in the config dir. Each run revalidates the cache
/// with one conditional GET (If-None-Match), so a new server API shows up at once; when the server cannot be
/// reached the cached copy still serves help and argument checks.
/// </summary>
public static class CatalogStore
{
    public static string CacheFile(CliHome home, string server) =>
        Path.Combine(home.CacheDir, "apis-" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(server)))[..16] + ".json");

    public static async Task<ApiDocument> LoadAsync(CliHome home, RestClient client, string server, CancellationToken cancellationToken)
    {
        var file = CacheFile(home, server);
        var cached = CliHome.ReadJson(file);
        var etag = cached?["server"]?.GetValue<string>() == server ? cached["etag"]?.GetValue<string>() : null;
        string? text;
        try
        {
            (text, etag) = await client.GetCatalogAsync(etag, cancellationToken);
        }
        catch (ConnectionException) when (cached?["document"] is JsonObject)
        {
            return Deserialize(cached["document"]!.ToJsonString());
        }

        if (text is null)
        {
            return Deserialize(cached!["document"]!.ToJsonString());
        }

        var doc = Deserialize(text);
        var entry = new JsonObject { ["server"] = server, ["etag"] = etag, ["document"] = JsonNode.Parse(text) };
        CliHome.WritePrivate(file, entry.ToJsonString());
        return doc;
    }

    private static ApiDocument Deserialize(string json)
    {
        try
        {
            return JsonSerializer.Deserialize(json, CatalogJson.Default.ApiDocument) ?? throw new ConnectionException("the server's API catalogue is empty");
        }
        catch (JsonException e)
        {
            throw new ConnectionException("the server's API catalogue cannot be read: " + e.Message, e);
        }
    }
}
