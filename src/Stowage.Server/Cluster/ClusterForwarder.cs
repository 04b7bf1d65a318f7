using System.Text;
using System.Text.Json;
using Stowage.Core.Errors;
using Stowage.Server.Hosting;
using Stowage.Server.Protocol;

namespace Stowage.Server.Cluster;

/// <summary>
/// Relays an API call to the management server that owns its backup storage and copies the answer back,
/// so a client can talk to any server behind a load balancer. The owner builds job locations with the
/// host the client used (<see cref="OriginHostHeader"/>), and any server answers the poll from the database.
/// </summary>
public sealed partial class ClusterForwarder(IHttpClientFactory httpClients, NodeIdentity node, ILogger<ClusterForwarder> logger)
{
    public const string ClientName = "stowage-cluster";

    /// <summary>Set on a forwarded call: the node it came from. A server never forwards such a call again.</summary>
    public const string ForwardedHeader = "X-Stowage-Forwarded-By";

    public const string OriginHostHeader = "X-Stowage-Origin-Host";

    private static readonly string[] CopiedHeaders = ["Authorization", "X-Job-UUID", "X-API-Timeout", "X-Web-Hook", "X-JSON-Schema", "Accept"];

    public static bool IsForwarded(HttpRequest request) => request.Headers.ContainsKey(ForwardedHeader);

    /// <summary>The host clients reach this call at: the original one for a forwarded call.</summary>
    public static string ClientHost(HttpRequest request) =>
        IsForwarded(request) && request.Headers[OriginHostHeader].ToString() is { Length: > 0 } origin ? origin : request.Host.Value ?? string.Empty;

    public async Task ForwardAsync(HttpContext http, string ownerNode, string address, JsonElement? body)
    {
        var request = http.Request;
        var target = new Uri(address + request.Path + request.QueryString);
        using var message = new HttpRequestMessage(new HttpMethod(request.Method), target);
        foreach (var name in CopiedHeaders)
        {
            if (request.Headers.TryGetValue(name, out var values))
            {
                message.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        message.Headers.TryAddWithoutValidation(ForwardedHeader, node.Id);
        message.Headers.TryAddWithoutValidation(OriginHostHeader, ClientHost(request));
        if (body is { } json)
        {
            message.Content = new StringContent(json.GetRawText(), Encoding.UTF8, "application/json");
        }

        HttpResponseMessage response;
        try
        {
            response = await httpClients.CreateClient(ClientName).SendAsync(message, HttpCompletionOption.ResponseHeadersRead, http.RequestAborted);
        }
        catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !http.RequestAborted.IsCancellationRequested)
        {
            LogForwardFailed(logger, request.Path, ownerNode, address, e.Message);
            await ApiErrors.WriteAsync(http, StatusCodes.Status503ServiceUnavailable, Errors.Operr(
                $"the management node[{ownerNode}] that runs this call did not answer ({e.Message}); retry in a few seconds"));
            return;
        }

        using (response)
        {
            http.Response.StatusCode = (int)response.StatusCode;
            if (response.Content.Headers.ContentType is { } type)
            {
                http.Response.ContentType = type.ToString();
            }

            await response.Content.CopyToAsync(http.Response.Body, http.RequestAborted);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "forwarding {Path} to management node {Node} at {Address} failed: {Reason}")]
    private static partial void LogForwardFailed(ILogger logger, string path, string node, string address, string reason);
}
