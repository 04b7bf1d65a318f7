using Stowage.Server.Features.GlobalConfigs;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Images;

/// <summary>
/// What an http(s) source says before anything is registered: where its redirects lead (every hop checked by
/// <see cref="SourceRules"/>) and the size it announces (HEAD, Content-Length), used to reserve capacity.
/// </summary>
public sealed record SourceProbe(Uri Url, long? Size)
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Checks the url and, for http(s), follows its redirects. A source that does not answer HEAD (or fails)
    /// keeps its url and an unknown size; the download then reserves nothing up front. A redirect the rules
    /// refuse is SYS.1007, before any row exists.
    /// </summary>
    public static async Task<SourceProbe> RunAsync(ApiContext ctx, Uri source, CancellationToken ct)
    {
        SourceRules.RefuseOwnPort(ctx.Services, source);
        if (source.Scheme is not ("http" or "https"))
        {
            return new SourceProbe(source, null);
        }

        var insecure = ctx.Get<GlobalConfigStore>().GetBool(ImageConfigs.SkipTlsVerify);
        var http = ctx.Get<IHttpClientFactory>().CreateClient(insecure ? ImageCopier.InsecureHttpClientName : ImageCopier.HttpClientName);
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(Limit);
        var url = source;
        for (var hop = 1; ; hop++)
        {
            try
            {
                using var request = new HttpRequestMessage(HttpMethod.Head, new UriBuilder(url) { UserName = string.Empty, Password = string.Empty }.Uri);
                using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, limit.Token);
                if (SourceRules.IsRedirect(response.StatusCode))
                {
                    url = SourceRules.NextHop(ctx.Services, url, response.Headers.Location, hop);
                    continue;
                }

                return new SourceProbe(url, response.IsSuccessStatusCode ? response.Content.Headers.ContentLength : null);
            }
            catch (Exception e) when (e is HttpRequestException or OperationCanceledException && !ct.IsCancellationRequested)
            {
                return new SourceProbe(url, null);
            }
        }
    }
}
