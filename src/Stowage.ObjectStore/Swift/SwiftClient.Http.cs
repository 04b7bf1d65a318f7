using System.Net;
using Stowage.Core.Storage;

namespace Stowage.ObjectStore.Swift;

/// <summary>Sending a request with the token, the one retry after a 401, and the mapping of failures.</summary>
internal sealed partial class SwiftClient
{
    /// <summary>
    /// Sends <paramref name="method"/> to the storage url + <paramref name="path"/>. A 404 is answered as is when
    /// <paramref name="okIfMissing"/>, every other failure status throws.
    /// </summary>
    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, CancellationToken ct, bool okIfMissing = false,
        bool streamed = false, Action<HttpRequestMessage>? configure = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            var token = await auth.GetAsync(ct);
            using var request = new HttpRequestMessage(method, new Uri(token.StorageUrl.AbsoluteUri.TrimEnd('/') + path));
            request.Headers.TryAddWithoutValidation("X-Auth-Token", token.Value);
            configure?.Invoke(request);
            var response = await Guard(() => http.SendAsync(request, streamed ? HttpCompletionOption.ResponseHeadersRead : HttpCompletionOption.ResponseContentRead, ct), ct);
            if (response.StatusCode == HttpStatusCode.Unauthorized && attempt == 0)
            {
                // Expired early or revoked (a restarted token cache does that): a new token, then once more.
                response.Dispose();
                auth.Invalidate(token);
                continue;
            }

            if (response.IsSuccessStatusCode || (okIfMissing && response.StatusCode == HttpStatusCode.NotFound)
                || (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && method == HttpMethod.Get))
            {
                return response;
            }

            var body = string.Empty;
            try
            {
                body = (await response.Content.ReadAsStringAsync(ct)).Trim();
            }
            catch (Exception e) when (e is HttpRequestException or IOException)
            {
                // The status alone says enough.
            }
            finally
            {
                response.Dispose();
            }

            throw Failure(response.StatusCode, method, path, body.Length > 200 ? body[..200] : body);
        }
    }

    private StorageException Failure(HttpStatusCode status, HttpMethod method, string path, string body)
    {
        var what = $"{method} {path} in container {container} of backup storage {target.Uuid} answered {(int)status}";
        return status switch
        {
            HttpStatusCode.RequestEntityTooLarge => new StorageException(StorageFailure.NoSpace, $"the store is full: {what} (account quota or object size limit)"),
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new StorageException(StorageFailure.AuthenticationFailed, $"{what}: the credentials may not do this"),
            HttpStatusCode.UnprocessableEntity => new StorageException(StorageFailure.CommandFailed, $"{what}: the bytes the store received do not match their checksum"),
            HttpStatusCode.NotFound => new StorageException(StorageFailure.BadLocation, what),
            HttpStatusCode.RequestTimeout or HttpStatusCode.GatewayTimeout => new StorageException(StorageFailure.Timeout, what),
            >= HttpStatusCode.InternalServerError => new StorageException(StorageFailure.Unreachable, what),
            _ => new StorageException(StorageFailure.CommandFailed, body.Length == 0 ? what : $"{what}: {body}"),
        };
    }

    /// <summary>Network failures become <see cref="StorageException"/>; the caller's own cancellation stays what it is.</summary>
    private async Task<T> Guard<T>(Func<Task<T>> call, CancellationToken ct)
    {
        try
        {
            return await call();
        }
        catch (HttpRequestException e)
        {
            throw new StorageException(StorageFailure.Unreachable, $"cannot reach the store of backup storage {target.Uuid}: {e.Message}", e);
        }
        catch (IOException e)
        {
            throw new StorageException(StorageFailure.Unreachable, $"the connection to the store of backup storage {target.Uuid} broke: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new StorageException(StorageFailure.Timeout, $"the store of backup storage {target.Uuid} did not answer in time", e);
        }
    }
}
