using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;

namespace Stowage.Server.Tests.Monitoring;

/// <summary>A loopback HTTP receiver for webhooks: every POST is recorded (body and signature) and answered 200. It can go down and come back on the same port.</summary>
public sealed class WebhookReceiver : IAsyncDisposable
{
    private WebApplication? _app;

    public int Port { get; private set; }

    public Uri Url => new($"http://127.0.0.1:{Port}/hook");

    public Channel<(byte[] Body, string? Signature, string? Event)> Received { get; } = Channel.CreateUnbounded<(byte[], string?, string?)>();

    public static async Task<WebhookReceiver> StartAsync()
    {
        var r = new WebhookReceiver();
        await r.UpAsync();
        return r;
    }

    public async Task UpAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls($"http://127.0.0.1:{Port}");
        var app = builder.Build();
        app.MapPost("/hook", async (HttpContext http) =>
        {
            using var ms = new MemoryStream();
            await http.Request.Body.CopyToAsync(ms);
            await Received.Writer.WriteAsync((ms.ToArray(), http.Request.Headers["X-Stowage-Signature"].ToString(), http.Request.Headers["X-Stowage-Event"].ToString()));
            return Results.Ok();
        });
        await app.StartAsync();
        Port = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First()).Port;
        _app = app;
    }

    public async Task DownAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.StopAsync();
            await app.DisposeAsync();
        }
    }

    public async Task<(byte[] Body, string? Signature, string? Event)> NextAsync(TimeSpan within)
    {
        using var cts = new CancellationTokenSource(within);
        return await Received.Reader.ReadAsync(cts.Token);
    }

    public ValueTask DisposeAsync() => new(DownAsync());
}
