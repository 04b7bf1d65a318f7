using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Server.Tests.StorageTypes;

/// <summary>The type-independent calls of the contract suites, over an <see cref="IStorageTypeFixture"/>.</summary>
public static class StorageKit
{
    public static JsonObject AddBody(this IStorageTypeFixture type, StorageLocation location, string name = "bs1", string? resourceUuid = null)
    {
        var p = type.AddParams(location, name);
        if (resourceUuid is not null)
        {
            p["resourceUuid"] = resourceUuid;
        }

        return new JsonObject { ["params"] = p };
    }

    public static Task<ApiResponse> AddAsync(this IStorageTypeFixture type, ZStackClient client, StorageLocation location, string name = "bs1", string? resourceUuid = null) =>
        client.CallAsync(HttpMethod.Post, type.ApiPath, type.AddBody(location, name, resourceUuid));

    /// <summary>Adds a backup storage at <paramref name="location"/> and answers its uuid; fails the test when the add fails.</summary>
    public static async Task<string> AddOkAsync(this IStorageTypeFixture type, ZStackClient client, StorageLocation location, string name = "bs1")
    {
        var r = await type.AddAsync(client, location, name);
        Assert.True(r.Status == HttpStatusCode.OK, r.ToString());
        return r.Json!["inventory"]!["uuid"]!.GetValue<string>();
    }

    /// <summary>A new location and a backup storage on it.</summary>
    public static async Task<(string Uuid, StorageLocation Location)> AddNewAsync(this IStorageTypeFixture type, ZStackClient client, string name = "bs1")
    {
        var location = type.NewLocation();
        return (await type.AddOkAsync(client, location, name), location);
    }
}
