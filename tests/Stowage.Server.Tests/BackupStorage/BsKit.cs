using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.BackupStorage;

/// <summary>Helpers for backup-storage tests: a real server plus the shared real sshd.</summary>
public static class BsKit
{
    public static JsonObject AddBody(SshdFixture sshd, string url, string name = "bs1", string? password = null, bool useKey = false, string? resourceUuid = null, int? port = null, string? fingerprint = null)
    {
        var p = new JsonObject
        {
            ["name"] = name,
            ["url"] = url,
            ["hostname"] = sshd.Host,
            ["username"] = sshd.User,
            ["sshPort"] = port ?? sshd.Port,
            ["importImages"] = false,
        };
        if (useKey)
        {
            p["sshKey"] = sshd.PrivateKey;
        }
        else
        {
            p["password"] = password ?? sshd.Password;
        }

        if (resourceUuid is not null)
        {
            p["resourceUuid"] = resourceUuid;
        }

        if (fingerprint is not null)
        {
            p["hostKeyFingerprint"] = fingerprint;
        }

        return new JsonObject { ["params"] = p };
    }

    public static Task<ApiResponse> AddAsync(ZStackClient client, SshdFixture sshd, string url, string name = "bs1", string? password = null, bool useKey = false, string? resourceUuid = null, int? port = null) =>
        client.CallAsync(HttpMethod.Post, "/backup-storage/sftp", AddBody(sshd, url, name, password, useKey, resourceUuid, port));

    public static async Task<string> AddOkAsync(ZStackClient client, SshdFixture sshd, string url, string name = "bs1")
    {
        var r = await AddAsync(client, sshd, url, name);
        Assert.True(r.Status == HttpStatusCode.OK, r.ToString());
        return Uuid(r);
    }

    public static string Uuid(ApiResponse r) => r.Json!["inventory"]!["uuid"]!.GetValue<string>();

    public static async Task<JsonNode> GetAsync(ZStackClient client, string uuid)
    {
        var r = await client.QueryAsync("/backup-storage/" + uuid);
        Assert.Equal(HttpStatusCode.OK, r.Status);
        return ZStackClient.Inventories(r).Single()!;
    }

    public static Task<ApiResponse> ActionAsync(ZStackClient client, string path, string action, JsonObject? args = null) =>
        client.CallAsync(HttpMethod.Put, path, new JsonObject { [action] = args ?? new JsonObject() });

    public static async Task<int> CountAsync(ZStackClient client, string? condition = null)
    {
        var r = await client.QueryAsync("/backup-storage", condition is null ? ["count=true"] : ["count=true", $"q={condition}"]);
        return r.Json!["total"]!.GetValue<int>();
    }
}
