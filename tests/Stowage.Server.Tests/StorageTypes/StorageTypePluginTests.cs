using System.Net;
using System.Text.Json.Nodes;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Query;
using Stowage.Server.Features.BackupStorage;
using Stowage.Server.Features.Meta;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.Tracker;

namespace Stowage.Server.Tests.StorageTypes;

/// <summary>
/// A storage type the server has never heard of, registered with the one call a real type uses: its APIs reach
/// the catalogue, OpenAPI and the API list (thus the CLI), GetBackupStorageTypes lists it, its inventories name
/// its class, and what its capabilities lack is refused with one clear error before any work starts.
/// </summary>
public sealed class StorageTypePluginTests
{
    private const string InventoryClass = "org.example.FakeBackupStorageInventory";

    private sealed class FakeType(FakeDriver driver) : IStorageTypeModule
    {
        public string Type => FakeDriver.TypeName;

        public string InventoryClass => StorageTypePluginTests.InventoryClass;

        public IEnumerable<ApiDescriptor> Apis =>
        [
            new ApiDescriptor
            {
                Name = "AddFakeBackupStorage", Method = "POST", Path = "/backup-storage/fake", BodyKey = "params", TakesTags = true,
                ResultClass = InventoryClass, Params = BackupStorageAdd.Params("anything"),
                Handler = ctx =>
                {
                    BackupStorageAdd.CheckType(ctx.Args, "AddFakeBackupStorage", Type);
                    return BackupStorageAdd.RunAsync(ctx, new NewBackupStorage(Type, ctx.Args.RequiredString("url"), "fake backup storage", null, (_, _, _, _) => Task.CompletedTask));
                },
            },
            .. QueryApi.Define("QueryFakeBackupStorage", "/backup-storage/fake", "fakeBackupStorage", InventoryClass, (db, rows, ct) => Task.FromResult(rows), "Query fake backup storages"),
        ];

        public IEnumerable<QueryResource> QueryResources(StorageTypeRegistry types) =>
            [BackupStorageQueries.ForType(types, "fakeBackupStorage", "FakeBackupStorageInventory", Type, [])];

        public void AddServices(IServiceCollection services) => services.AddSingleton<IBackupStorageDriver>(driver);

        public Task<IStorageTypeRow?> FindAsync(StowageDbContext db, string uuid, bool tracked, CancellationToken ct) =>
            Task.FromResult<IStorageTypeRow?>(EmptyStorageTypeRow.Instance);

        public Task<IReadOnlyDictionary<string, IStorageTypeRow>> FindManyAsync(StowageDbContext db, IReadOnlyCollection<string> uuids, CancellationToken ct) =>
            Task.FromResult<IReadOnlyDictionary<string, IStorageTypeRow>>(uuids.ToDictionary(u => u, IStorageTypeRow (_) => EmptyStorageTypeRow.Instance));
    }

    [Fact]
    public async Task A_type_registered_with_one_call_is_served_listed_documented_and_refused_what_it_cannot_do()
    {
        await using var host = await StowageHost.StartAsync(configure: s => s.AddStorageType(new FakeType(new FakeDriver())));
        using var client = host.Client();
        await client.LoginAsync();

        var types = (await client.QueryAsync("/backup-storage/types")).Json!["types"]!.AsArray().Select(t => t!.GetValue<string>()).ToList();
        // Every registered type, in order; the built-in ones (SFTP, Swift, S3, …) plus the plug-in.
        Assert.Equal(types.Order(StringComparer.Ordinal), types);
        Assert.Contains("FakeBackupStorage", types);
        Assert.Contains("SftpBackupStorage", types);
        Assert.Contains("FileSystemBackupStorage", types);
        Assert.Contains("NfsBackupStorage", types);
        Assert.Contains("SwiftBackupStorage", types);
        Assert.Contains("S3BackupStorage", types);

        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        var openApi = await http.GetStringAsync(OpenApiDocument.Path);
        Assert.Contains("/backup-storage/fake", openApi, StringComparison.Ordinal);
        var apis = JsonNode.Parse(await http.GetStringAsync("/zstack/v1/apis"))!["apis"]!.AsArray().Select(a => a!["name"]!.GetValue<string>()).ToList();
        Assert.Contains("AddFakeBackupStorage", apis);
        Assert.Contains("QueryFakeBackupStorage", apis);

        var wrongType = await client.CallAsync(HttpMethod.Post, "/backup-storage/fake", new JsonObject { ["params"] = new JsonObject { ["name"] = "f", ["url"] = "/f", ["type"] = "SftpBackupStorage" } });
        Assert.Equal("SYS.1007", wrongType.ErrorCode);
        var added = await client.CallAsync(HttpMethod.Post, "/backup-storage/fake", new JsonObject { ["params"] = new JsonObject { ["name"] = "fake1", ["url"] = "/fake/one" } });
        Assert.True(added.Status == HttpStatusCode.OK, added.ToString());
        Assert.Equal(InventoryClass, added.Json!["schema"]!["inventory"]!.GetValue<string>());
        var uuid = added.Json!["inventory"]!["uuid"]!.GetValue<string>();
        Assert.Equal("Connected", added.Json!["inventory"]!["status"]!.GetValue<string>());

        var own = await client.QueryAsync("/backup-storage/fake");
        Assert.Equal(uuid, ZStackClient.Inventories(own).Single()!["uuid"]!.GetValue<string>());
        Assert.Equal(InventoryClass, own.Json!["schema"]!["inventories[0]"]!.GetValue<string>());
        var all = await client.QueryAsync("/backup-storage", "q=type=FakeBackupStorage");
        Assert.Equal(InventoryClass, all.Json!["schema"]!["inventories[0]"]!.GetValue<string>());
        Assert.Empty(ZStackClient.Inventories(await client.QueryAsync("/backup-storage/sftp")));

        // The fake declares none of the optional capabilities: uploads and host files are refused up front.
        var upload = await ImageKit.AddAsync(client, "upload://disk.raw", [uuid]);
        Assert.Equal("SYS.1006", upload.ErrorCode);
        Assert.Contains("is a FakeBackupStorage, which does not support uploads", upload.Body, StringComparison.Ordinal);
        var hostFile = await ImageKit.AddAsync(client, "file:///srv/disk.raw", [uuid]);
        Assert.Equal("SYS.1006", hostFile.ErrorCode);
        Assert.Contains("does not support a file:/// source", hostFile.Body, StringComparison.Ordinal);
        Assert.Empty(await ImageKit.QueryAsync(client));

        Assert.Equal(HttpStatusCode.OK, (await client.CallAsync(HttpMethod.Delete, $"/backup-storage/{uuid}")).Status);
        Assert.Empty(ZStackClient.Inventories(await client.QueryAsync("/backup-storage/fake")));
    }
}
