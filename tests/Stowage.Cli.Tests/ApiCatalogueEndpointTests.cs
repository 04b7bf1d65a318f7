using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Cli.Tests;

/// <summary>GET /zstack/v1/apis: the catalogue the CLI generates its commands from.</summary>
public sealed class ApiCatalogueEndpointTests
{
    [Theory]
    [InlineData("/zstack/v1")]
    [InlineData("/v1")]
    public async Task Lists_every_api_without_a_session(string prefix)
    {
        await using var host = await StowageHost.StartAsync();
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        using var response = await http.GetAsync(prefix + "/apis");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var apis = JsonNode.Parse(await response.Content.ReadAsStringAsync())!["apis"]!.AsArray().Select(a => a!.AsObject()).ToList();
        var byName = apis.ToDictionary(a => a["name"]!.GetValue<string>());

        var add = byName["AddSftpBackupStorage"];
        Assert.Equal("POST", add["method"]!.GetValue<string>());
        Assert.Equal("/backup-storage/sftp", add["path"]!.GetValue<string>());
        Assert.Equal("async", add["kind"]!.GetValue<string>());
        Assert.Equal("params", add["bodyKey"]!.GetValue<string>());
        var password = add["params"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "password")!;
        Assert.True(password["secret"]!.GetValue<bool>());
        var port = add["params"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "sshPort")!;
        Assert.Equal("int", port["type"]!.GetValue<string>());
        Assert.Equal("22", port["default"]!.GetValue<string>());

        var state = byName["ChangeBackupStorageState"];
        Assert.Equal("changeBackupStorageState", state["bodyKey"]!.GetValue<string>());
        var uuid = state["params"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "uuid")!;
        Assert.True(uuid["inPath"]!.GetValue<bool>());
        Assert.Equal("BackupStorageVO", uuid["resourceType"]!.GetValue<string>());
        var stateEvent = state["params"]!.AsArray().Single(p => p!["name"]!.GetValue<string>() == "stateEvent")!;
        Assert.Equal(["enable", "disable"], stateEvent["choices"]!.AsArray().Select(c => c!.GetValue<string>()));

        var query = byName["QueryBackupStorage"];
        Assert.Equal("backupStorage", query["queryResource"]!.GetValue<string>());
        Assert.Equal("/backup-storage/{uuid}", query["uuidPath"]!.GetValue<string>());
        Assert.Equal("BackupStorageVO", query["resourceType"]!.GetValue<string>());
        Assert.Contains("attachedZoneUuids", query["queryFields"]!.AsArray().Select(f => f!.GetValue<string>()));
        Assert.Equal("zone", query["queryRelations"]!["zone"]!.GetValue<string>());
        Assert.DoesNotContain(apis, a => a["name"]!.GetValue<string>().EndsWith("ByUuid", StringComparison.Ordinal));
        Assert.False(byName["LogInByAccount"]["needSession"]!.GetValue<bool>());
        Assert.Equal("sync", byName["QueryZone"]["kind"]!.GetValue<string>());
    }

    [Fact]
    public async Task Revalidates_with_the_etag()
    {
        await using var host = await StowageHost.StartAsync();
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        using var first = await http.GetAsync("/zstack/v1/apis");
        var etag = first.Headers.ETag!.Tag;
        using var again = new HttpRequestMessage(HttpMethod.Get, "/zstack/v1/apis");
        again.Headers.TryAddWithoutValidation("If-None-Match", etag);
        using var second = await http.SendAsync(again);
        Assert.Equal(HttpStatusCode.NotModified, second.StatusCode);
    }
}
