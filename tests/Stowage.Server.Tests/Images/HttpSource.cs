using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Stowage.Server.Tests.Images;

/// <summary>
/// A real HTTP server on 127.0.0.1 serving test files: <c>/f/name</c> whole, <c>/drop/name</c> half and then
/// the connection is cut, <c>/slow/name</c> <see cref="SlowChunk"/> bytes (64 KiB) every 100 ms, <c>/auth/name</c> behind basic auth
/// (user <c>u</c>, password <c>p4ss</c>), <c>/nolen/name</c> without a Content-Length, <c>/stall/name</c> the full
/// Content-Length but only half the bytes, then the connection is held open until the client goes,
/// <c>/nolen-drop/name</c> half the bytes without a Content-Length and then a clean close; a path set in
/// <see cref="Redirects"/> answers 302 with that Location (HEAD and GET alike); anything else is 404.
/// </summary>
public sealed class HttpSource : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ConcurrentDictionary<string, byte[]> _files = new(StringComparer.Ordinal);

    private HttpSource(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = "";

    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>Request path (<c>/r/x</c>, or <c>GET /r/x</c> for one method only) to the Location its 302 answer carries.</summary>
    public ConcurrentDictionary<string, string> Redirects { get; } = new(StringComparer.Ordinal);

    /// <summary>Requests of the <c>/stall/</c> mode that are holding their connection right now.</summary>
    public int Stalled => _stalled;

    private int _stalled;

    /// <summary>Bytes the <c>/slow/</c> mode sends per 100 ms tick: tests of progress and cancel choose how long a download lasts.</summary>
    public int SlowChunk { get; set; } = 64 * 1024;

    public static async Task<HttpSource> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var source = new HttpSource(app);
        app.Run(source.HandleAsync);
        await app.StartAsync();
        source.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return source;
    }

    public string Add(string name, byte[] content)
    {
        _files[name] = content;
        return $"{BaseUrl}/f/{name}";
    }

    public string Url(string mode, string name) => $"{BaseUrl}/{mode}/{name}";

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        var parts = (ctx.Request.Path.Value ?? string.Empty).Trim('/').Split('/', 2);
        Requests.Enqueue($"{ctx.Request.Method} {ctx.Request.Path}");
        if (Redirects.TryGetValue($"{ctx.Request.Method} {ctx.Request.Path}", out var location) || Redirects.TryGetValue(ctx.Request.Path.Value ?? string.Empty, out location))
        {
            ctx.Response.StatusCode = 302;
            ctx.Response.Headers.Location = location;
            return;
        }

        if (parts.Length != 2 || !_files.TryGetValue(parts[1], out var content))
        {
            ctx.Response.StatusCode = 404;
            return;
        }

        if (parts[0] == "auth" && ctx.Request.Headers.Authorization.ToString() != "Basic " + Convert.ToBase64String("u:p4ss"u8.ToArray()))
        {
            ctx.Response.StatusCode = 401;
            return;
        }

        if (parts[0] is not ("nolen" or "nolen-drop"))
        {
            ctx.Response.ContentLength = content.Length;
        }

        ctx.Response.ContentType = "application/octet-stream";
        if (HttpMethods.IsHead(ctx.Request.Method))
        {
            return;
        }

        switch (parts[0])
        {
            case "f" or "auth" or "nolen":
                await ctx.Response.Body.WriteAsync(content, ctx.RequestAborted);
                break;
            case "drop":
                await ctx.Response.Body.WriteAsync(content.AsMemory(0, content.Length / 2), ctx.RequestAborted);
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                await Task.Delay(200, ctx.RequestAborted);
                ctx.Abort();
                break;
            case "nolen-drop":
                await ctx.Response.Body.WriteAsync(content.AsMemory(0, content.Length / 2), ctx.RequestAborted);
                break;
            case "stall":
                await ctx.Response.Body.WriteAsync(content.AsMemory(0, content.Length / 2), ctx.RequestAborted);
                await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                Interlocked.Increment(ref _stalled);
                try
                {
                    await Task.Delay(Timeout.Infinite, ctx.RequestAborted);
                }
                catch (OperationCanceledException)
                {
                    // The client gave up: what the test waits for.
                }
                finally
                {
                    Interlocked.Decrement(ref _stalled);
                }

                break;
            case "slow":
                // SlowChunk is read at every tick: a test that saw what it waited for can let the rest go at once.
                for (var i = 0; i < content.Length;)
                {
                    var n = Math.Min(SlowChunk, content.Length - i);
                    await ctx.Response.Body.WriteAsync(content.AsMemory(i, n), ctx.RequestAborted);
                    await ctx.Response.Body.FlushAsync(ctx.RequestAborted);
                    i += n;
                    await Task.Delay(100, ctx.RequestAborted);
                }

                break;
            default:
                ctx.Response.StatusCode = 404;
                break;
        }
    }
}
