using Microsoft.AspNetCore.Server.Kestrel.Core;
using Stowage.Core.Errors;
using Stowage.Server.Protocol;

namespace Stowage.Server.Hosting;

/// <summary>
/// Over-long request targets get ZStack's error envelope. Kestrel refuses a request line above its own limit
/// with an empty 414 before any application code runs, so Kestrel's limit is raised far above what a client
/// may send and the real limit is enforced here, where the answer can carry a code and a reason.
/// </summary>
public static class RequestTargetLimit
{
    /// <summary>The longest path and query a client may send (ZStack's own servers take 8 KiB of headers).</summary>
    public const int MaxTargetBytes = 16 * 1024;

    /// <summary>Kestrel's own limit, past which its empty 414 remains the answer (with the headers it must stay under Kestrel's 1 MiB request buffer).</summary>
    private const int KestrelLineBytes = 256 * 1024;

    public static void Configure(KestrelServerOptions kestrel)
    {
        kestrel.Limits.MaxRequestLineSize = KestrelLineBytes;
        kestrel.Limits.MaxRequestHeadersTotalSize = KestrelLineBytes + (32 * 1024);
    }

    public static IApplicationBuilder UseRequestTargetLimit(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        var length = http.Request.Path.Value?.Length + http.Request.QueryString.Value?.Length ?? 0;
        var raw = http.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()?.RawTarget?.Length ?? length;
        if (Math.Max(raw, length) > MaxTargetBytes)
        {
            await ApiErrors.WriteAsync(http, StatusCodes.Status414RequestUriTooLong,
                Errors.Argument($"the request target is {Math.Max(raw, length)} bytes long; at most {MaxTargetBytes} are accepted"));
            return;
        }

        await next(http);
    });
}
