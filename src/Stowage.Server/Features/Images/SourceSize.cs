using Stowage.Server.Features.GlobalConfigs;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Images;

/// <summary>The size a source announces (HEAD, Content-Length), used to reserve capacity before writing.</summary>
public static class SourceSize
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    /// <summary>Null when the source does not say or cannot be asked; the download then reserves nothing up front.</summary>
    public static async Task<long?> HeadAsync(ApiContext ctx, Uri source, CancellationToken ct)
    {
        var insecure = ctx.Get<GlobalConfigStore>().GetBool(ImageConfigs.SkipTlsVerify);
        var http = ctx.Get<IHttpClientFactory>().CreateClient(insecure ? ImageCopier.InsecureHttpClientName : ImageCopier.HttpClientName);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(Limit);
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Head, new UriBuilder(source) { UserName = string.Empty, Password = string.Empty }.Uri);
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, limit.Token);
            return response.IsSuccessStatusCode ? response.Content.Headers.ContentLength : null;
        }
        catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
        {
            return null;
        }
    }
}
