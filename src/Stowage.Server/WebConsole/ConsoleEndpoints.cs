using System.Collections.Concurrent;
using System.Reflection;
using System.Security.Cryptography;

namespace Stowage.Server.WebConsole;

/// <summary>
/// Serves the web console (issue 18) at <c>/console/</c> from resources embedded in this assembly, so the
/// console is part of every build and publish, needs no static-web-assets manifest (tests host the server
/// from another entry assembly) and loads nothing from the internet. The console is a plain client of the
/// REST v1 API: it holds no state and no privilege of its own. Assets are read and hashed on first request
/// only, so the console costs nothing at start.
/// </summary>
public static class ConsoleEndpoints
{
    public const string Prefix = "/console";
    private const string ResourcePrefix = "Stowage.Server.WebConsole.assets.";

    // Same origin only; no inline script; styles only from our own file. Frames refused (clickjacking).
    private const string Csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

    private static readonly ConcurrentDictionary<string, Asset?> Cache = new(StringComparer.Ordinal);

    private sealed record Asset(byte[] Bytes, string ContentType, string ETag);

    public static void MapConsole(this WebApplication app)
    {
        app.MapGet("/", () => Results.Redirect(Prefix + "/")).ExcludeFromDescription();
        // Routing matches "/console" and "/console/" alike; only the one without the slash is redirected, so
        // relative asset paths in index.html resolve under /console/.
        app.MapGet(Prefix, (HttpContext http) => http.Request.Path.Value!.EndsWith('/') ? Serve(http, null) : Results.Redirect(Prefix + "/")).ExcludeFromDescription();
        app.MapMethods(Prefix + "/{**path}", ["GET", "HEAD"], Serve).ExcludeFromDescription();
    }

    private static IResult Serve(HttpContext http, string? path)
    {
        var asset = Cache.GetOrAdd(string.IsNullOrEmpty(path) ? "index.html" : path, Load);
        if (asset is null)
        {
            return Results.Text("no console asset " + http.Request.Path, "text/plain", statusCode: StatusCodes.Status404NotFound);
        }

        var headers = http.Response.Headers;
        headers.ContentSecurityPolicy = Csp;
        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        headers.CacheControl = "no-cache";
        headers.ETag = asset.ETag;
        return http.Request.Headers.IfNoneMatch.Contains(asset.ETag)
            ? Results.StatusCode(StatusCodes.Status304NotModified)
            : Results.Bytes(asset.Bytes, asset.ContentType);
    }

    private static Asset? Load(string path)
    {
        // Only names made of the characters our files use: no traversal, no probing of other resources.
        if (path.Length > 100 || path.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' or '/')) || path.Contains("..", StringComparison.Ordinal))
        {
            return null;
        }

        var assembly = typeof(ConsoleEndpoints).Assembly;
        using var stream = assembly.GetManifestResourceStream(ResourcePrefix + path.Replace('/', '.'));
        if (stream is null)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        var bytes = buffer.ToArray();
        var etag = "\"" + Convert.ToHexStringLower(SHA256.HashData(bytes))[..32] + "\"";
        return new Asset(bytes, ContentType(path), etag);
    }

    private static string ContentType(string path) => Path.GetExtension(path) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        ".png" => "image/png",
        _ => "application/octet-stream",
    };

    /// <summary>The embedded asset names, for the test that every file of the folder is in the build.</summary>
    public static IEnumerable<string> AssetNames() =>
        typeof(ConsoleEndpoints).Assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal))
            .Select(n => n[ResourcePrefix.Length..]);
}
