using System.Net;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.Images;

/// <summary>A destination of a <see cref="CopyMatrix"/>: one backup storage of type <see cref="Type"/>.</summary>
public sealed record CopyDestination(string Type, IStorageTypeFixture Storage, StorageLocation Location, string Uuid);

/// <summary>
/// One server with a backup storage of the source type and one backup storage of every type under test as
/// destinations (a second one of the source's own type among them), so the copy contract covers every ordered pair
/// of types with one server start per source type rather than one per pair. Items come to the source over HTTP.
/// </summary>
public sealed class CopyMatrix : IAsyncDisposable
{
    private readonly List<CopyDestination> _destinations = [];

    private CopyMatrix(StowageHost host, ZStackClient client, HttpSource http, string from, IStorageTypeFixture source)
    {
        Host = host;
        Client = client;
        Http = http;
        From = from;
        Source = source;
    }

    public StowageHost Host { get; }

    public ZStackClient Client { get; }

    public HttpSource Http { get; }

    /// <summary>The source's type name.</summary>
    public string From { get; }

    public IStorageTypeFixture Source { get; }

    public StorageLocation SrcLocation { get; private set; } = new(string.Empty, string.Empty);

    public string Src { get; private set; } = string.Empty;

    /// <summary>One backup storage of every type under test, in <see cref="StorageWorld.AllTypes"/> order.</summary>
    public IReadOnlyList<CopyDestination> Destinations => _destinations;

    public static async Task<CopyMatrix> StartAsync(StorageWorld world, string from)
    {
        var host = await StowageHost.StartAsync();
        var client = host.Client();
        await client.LoginAsync();
        var m = new CopyMatrix(host, client, await HttpSource.StartAsync(), from, world[from]);
        m.SrcLocation = m.Source.NewLocation("src");
        m.Src = await m.Source.AddOkAsync(client, m.SrcLocation, "src");
        foreach (string type in StorageWorld.AllTypes)
        {
            var location = world[type].NewLocation("dst");
            m._destinations.Add(new CopyDestination(type, world[type], location, await world[type].AddOkAsync(client, location, "dst-" + type)));
        }

        return m;
    }

    /// <summary>Adds <paramref name="size"/> random bytes as an item at <paramref name="itemPath"/> (<c>/images</c>, <c>/volume-snapshots</c>, <c>/volume-backups</c>) on the source.</summary>
    public async Task<(string Uuid, string InstallPath)> AddItemAsync(string itemPath, int size)
    {
        var url = Http.Add($"item-{Guid.NewGuid():N}.raw", ImageKit.RandomBytes(size));
        var item = itemPath == "/images"
            ? await ImageKit.AddOkAsync(Client, url, [Src])
            : await VolumeArchives.VolumeKit.AddOkAsync(Client, itemPath, url, [Src]);
        return (item["uuid"]!.GetValue<string>(), item["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>());
    }

    /// <summary>Runs the copy of the item to <paramref name="dst"/> to its end (polling the job).</summary>
    public Task<ApiResponse> CopyAsync(string itemPath, string uuid, string dst)
    {
        var action = itemPath switch
        {
            "/volume-snapshots" => "copyVolumeSnapshotToBackupStorage",
            "/volume-backups" => "copyVolumeBackupToBackupStorage",
            _ => "copyImageToBackupStorage",
        };
        return Client.CallAsync(HttpMethod.Put, $"{itemPath}/{uuid}/actions", CopyWorld.Body(dst, action: action));
    }

    /// <summary>Runs <paramref name="check"/> for every destination in turn; a failure names the pair it failed on.</summary>
    public async Task ForEachAsync(Func<CopyDestination, Task> check)
    {
        foreach (var d in _destinations)
        {
            try
            {
                await check(d);
            }
            catch (Exception e)
            {
                throw new InvalidOperationException($"copy {From} → {d.Type}: {e.Message}", e);
            }
        }
    }

    /// <summary>The copy answered OK with its destination copy Ready; answers that copy's install path.</summary>
    public static string ReadyCopy(ApiResponse r, string dst)
    {
        Assert.True(r.Status == HttpStatusCode.OK, r.ToString());
        var copy = r.Json!["inventory"]!["backupStorageRefs"]!.AsArray().Single(x => x!["backupStorageUuid"]!.GetValue<string>() == dst)!;
        Assert.Equal("Ready", copy["status"]!.GetValue<string>());
        return copy["installPath"]!.GetValue<string>();
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Http.DisposeAsync();
        await Host.DisposeAsync();
    }
}
