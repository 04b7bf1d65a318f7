using System.Net.Http.Headers;
using System.Text;
using System.Threading.Channels;

namespace Stowage.Server.Jobs;

public sealed record WebHookCall(string Url, string JobUuid, bool Success, string Body);

/// <summary>Posts final job results to the X-Web-Hook URL a client gave; bounded, and failures are logged, never thrown.</summary>
public sealed partial class WebHookSender(IHttpClientFactory httpClients, ILogger<WebHookSender> logger) : BackgroundService
{
    public const string ClientName = "webhooks";

    private readonly Channel<WebHookCall> _calls = Channel.CreateBounded<WebHookCall>(new BoundedChannelOptions(10_000) { FullMode = BoundedChannelFullMode.DropOldest });

    public void Enqueue(WebHookCall call) => _calls.Writer.TryWrite(call);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var call in _calls.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    using var request = new HttpRequestMessage(HttpMethod.Post, call.Url)
                    {
                        Content = new StringContent(call.Body, Encoding.UTF8, new MediaTypeHeaderValue("application/json")),
                    };
                    request.Headers.Add("X-Job-UUID", call.JobUuid);
                    request.Headers.Add("X-Job-Success", call.Success ? "true" : "false");
                    using var response = await httpClients.CreateClient(ClientName).SendAsync(request, stoppingToken);
                    if (!response.IsSuccessStatusCode)
                    {
                        LogHookRefused(logger, call.JobUuid, (int)response.StatusCode);
                    }
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                {
                    LogHookFailed(logger, call.JobUuid, e.Message);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "web hook for job {JobUuid} answered HTTP {Status}")]
    private static partial void LogHookRefused(ILogger logger, string jobUuid, int status);

    [LoggerMessage(Level = LogLevel.Warning, Message = "web hook for job {JobUuid} could not be delivered: {Reason}")]
    private static partial void LogHookFailed(ILogger logger, string jobUuid, string reason);
}
