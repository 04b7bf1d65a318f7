using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Export;

/// <summary>A server, a backup storage on the real sshd and one image on it, for export tests.</summary>
public sealed class ExportWorld : IAsyncDisposable
{
    private ExportWorld(HttpSource source, StowageHost host, ZStackClient client)
    {
        Source = source;
        Host = host;
        Client = client;
    }

    public HttpSource Source { get; }

    public StowageHost Host { get; }

    public ZStackClient Client { get; }

    public HttpClient Http { get; } = new(new SocketsHttpHandler { AutomaticDecompression = DecompressionMethods.None });

    public string Bs { get; private set; } = "";

    public string BsUrl { get; private set; } = "";

    public string Image { get; private set; } = "";

    public byte[] Content { get; private set; } = [];

    public static async Task<ExportWorld> StartAsync(SshdFixture sshd, int size = 3_000_000, bool useKey = false)
    {
        var source = await HttpSource.StartAsync();
        var host = await StowageHost.StartAsync();
        var client = host.Client();
        await client.LoginAsync();
        var world = new ExportWorld(source, host, client) { BsUrl = sshd.NewPath(), Content = ImageKit.RandomBytes(size) };
        var added = await BsKit.AddAsync(client, sshd, world.BsUrl, "export", useKey: useKey);
        Assert.True(added.Status == HttpStatusCode.OK, added.ToString());
        world.Bs = BsKit.Uuid(added);
        var image = await ImageKit.AddOkAsync(client, source.Add("exp.raw", world.Content), [world.Bs]);
        world.Image = image["uuid"]!.GetValue<string>();
        return world;
    }

    /// <summary>The same world on a backup storage of any type under test.</summary>
    public static async Task<ExportWorld> StartAsync(IStorageTypeFixture type, int size = 3_000_000)
    {
        var source = await HttpSource.StartAsync();
        var host = await StowageHost.StartAsync();
        var client = host.Client();
        await client.LoginAsync();
        var location = type.NewLocation();
        var world = new ExportWorld(source, host, client) { BsUrl = location.LocalPath, Content = ImageKit.RandomBytes(size) };
        world.Bs = await type.AddOkAsync(client, location, "export");
        var image = await ImageKit.AddOkAsync(client, source.Add("exp.raw", world.Content), [world.Bs]);
        world.Image = image["uuid"]!.GetValue<string>();
        return world;
    }

    public Task<ApiResponse> ExportAsync(string? format = null)
    {
        var args = new JsonObject { ["imageUuid"] = Image };
        if (format is not null)
        {
            args["exportFormat"] = format;
        }

        return BsKit.ActionAsync(Client, $"/backup-storage/{Bs}/actions", "exportImageFromBackupStorage", args);
    }

    public async Task<string> ExportOkAsync()
    {
        var r = await ExportAsync();
        Assert.True(r.Status == HttpStatusCode.OK, r.ToString());
        return r.Json!["imageUrl"]!.GetValue<string>();
    }

    public async Task<HttpResponseMessage> GetAsync(string url, string? range = null, HttpMethod? method = null)
    {
        var request = new HttpRequestMessage(method ?? HttpMethod.Get, url);
        if (range is not null)
        {
            request.Headers.TryAddWithoutValidation("Range", range);
        }

        return await Http.SendAsync(request);
    }

    public async Task SetStatusAsync(string status)
    {
        await using var db = Host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        await db.BackupStorages.Where(b => b.Uuid == Bs).ExecuteUpdateAsync(s => s.SetProperty(b => b.Status, status));
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        Client.Dispose();
        await Host.DisposeAsync();
        await Source.DisposeAsync();
    }
}
