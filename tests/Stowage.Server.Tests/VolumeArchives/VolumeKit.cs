using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Server.Tests.VolumeArchives;

/// <summary>Helpers for volume snapshot and volume backup tests.</summary>
public static class VolumeKit
{
    public const string VolumeUuid = "0123456789abcdef0123456789abcdef";
    public const string TreeUuid = "fedcba9876543210fedcba9876543210";

    /// <summary><paramref name="path"/> is <c>/volume-snapshots</c> or <c>/volume-backups</c>.</summary>
    public static JsonObject Body(string path, string url, IEnumerable<string> bsUuids, string name = "snap", IEnumerable<string>? systemTags = null)
    {
        var p = new JsonObject
        {
            ["name"] = name, ["url"] = url, ["volumeUuid"] = VolumeUuid,
            ["backupStorageUuids"] = new JsonArray([.. bsUuids.Select(u => JsonValue.Create(u))]),
        };
        if (path == "/volume-snapshots")
        {
            p["treeUuid"] = TreeUuid;
        }

        var body = new JsonObject { ["params"] = p };
        if (systemTags is not null)
        {
            body["systemTags"] = new JsonArray([.. systemTags.Select(t => JsonValue.Create(t))]);
        }

        return body;
    }

    public static Task<ApiResponse> AddAsync(ZStackClient client, string path, string url, IEnumerable<string> bsUuids, string name = "snap", IEnumerable<string>? systemTags = null) =>
        client.CallAsync(HttpMethod.Post, path, Body(path, url, bsUuids, name, systemTags));

    public static async Task<JsonNode> AddOkAsync(ZStackClient client, string path, string url, IEnumerable<string> bsUuids, string name = "snap")
    {
        var r = await AddAsync(client, path, url, bsUuids, name);
        Assert.True(r.Status == HttpStatusCode.OK, r.ToString());
        return r.Json!["inventory"]!;
    }

    public static async Task<List<string>> QueryUuidsAsync(ZStackClient client, string path, params string[] q)
    {
        var r = await client.QueryAsync(path, [.. q.Select(c => "q=" + c)]);
        Assert.True(r.Status == HttpStatusCode.OK, r.ToString());
        return [.. ZStackClient.Inventories(r).Select(i => i!["uuid"]!.GetValue<string>()).Order()];
    }

    public static string Uuid(JsonNode inventory) => inventory["uuid"]!.GetValue<string>();

    public static List<string> RefBs(JsonNode inventory) =>
        [.. inventory["backupStorageRefs"]!.AsArray().Select(r => r!["backupStorageUuid"]!.GetValue<string>()).Order()];
}
