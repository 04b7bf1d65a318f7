using Stowage.Core.Errors;
using Stowage.Persistence;
using Stowage.Server.Identity;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Monitoring;

/// <summary><c>GET /metrics</c>: the Prometheus text exposition of <see cref="StowageMetrics"/>, written by prometheus-net.</summary>
public static class MetricsEndpoint
{
    public const string Path = "/metrics";

    public static void MapMetricsEndpoint(this WebApplication app)
    {
        var metrics = app.Services.GetRequiredService<StowageMetrics>();
        var dbFactory = app.Services.GetRequiredService<StowageDbContextFactory>();
        var ownership = app.Services.GetRequiredService<IBackupStorageOwnership>();
        metrics.Registry.AddBeforeCollectCallback(ct => metrics.Gauges.RefreshAsync(dbFactory, ownership, ct));
        app.MapGet(Path, ServeAsync);
    }

    private static async Task ServeAsync(HttpContext http, StowageMetrics metrics, MetricsAccess access, SessionService sessions)
    {
        if (!access.AllowsAnonymous(http.Connection.RemoteIpAddress))
        {
            var header = http.Request.Headers.Authorization.ToString();
            var session = header.StartsWith("OAuth ", StringComparison.Ordinal) ? header["OAuth ".Length..].Trim() : null;
            if (session is null || await sessions.FindValidAsync(session, http.RequestAborted) is null)
            {
                await ApiErrors.WriteAsync(http, StatusCodes.Status403Forbidden, Errors.Of(Errors.PermissionDenied,
                    "reading /metrics from this address needs a session (Authorization: OAuth <session uuid>); see --metrics-anonymous"));
                return;
            }
        }

        http.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
        http.Response.Headers.CacheControl = "no-store";
        await metrics.Registry.CollectAndExportAsTextAsync(http.Response.Body, http.RequestAborted);
    }
}
