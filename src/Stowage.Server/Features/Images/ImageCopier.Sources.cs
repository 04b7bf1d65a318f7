using System.Net.Http.Headers;
using System.Text;
using Stowage.Core.Errors;
using Stowage.Core.Storage;

namespace Stowage.Server.Features.Images;

/// <summary>The source side of a copy: http redirects, host files and sources Stowage opens itself, each checked by <see cref="SourceRules"/>.</summary>
public sealed partial class ImageCopier
{
    /// <summary>GET with redirects followed hop by hop, each checked by <see cref="SourceRules"/> (a refused hop is SourceFailed).</summary>
    private async Task<HttpResponseMessage> GetAsync(HttpClient http, Uri source, CancellationToken ct)
    {
        if (source.Scheme == "ftp")
        {
            throw new StorageException(StorageFailure.SourceFailed, "an ftp:// source is pulled by the storage host only (curl or wget), and it could not pull it; Stowage does not stream ftp");
        }

        var url = source;
        for (var hop = 1; ; hop++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new UriBuilder(url) { UserName = string.Empty, Password = string.Empty }.Uri);
            if (url.UserInfo.Length > 0)
            {
                request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(Uri.UnescapeDataString(url.UserInfo))));
            }

            HttpResponseMessage response;
            try
            {
                response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
            }
            catch (HttpRequestException e)
            {
                throw new StorageException(StorageFailure.SourceFailed, $"cannot reach the source from Stowage either ({e.HttpRequestError})", e);
            }

            if (!SourceRules.IsRedirect(response.StatusCode))
            {
                return response;
            }

            using (response)
            {
                try
                {
                    url = SourceRules.NextHop(services, url, response.Headers.Location, hop);
                }
                catch (ApiException e)
                {
                    throw new StorageException(StorageFailure.SourceFailed, e.Error.Details ?? e.Message, e);
                }
            }
        }
    }

    /// <summary>Stowage reads a source it opens itself and streams it to the storage; the capacity is reserved once the source tells its size.</summary>
    private static async Task<ImageFileFacts> FromOpenerAsync(
        IImageSourceOpener opener, IBackupStorageDriver driver, BackupStorageTarget target, CopyJob job, StallWatch watch, Func<long, Task> reserve, IProgress<TransferProgress> progress, CancellationToken ct)
    {
        await using var file = await opener.OpenAsync(job, ct);
        await reserve(file.Length);
        watch.Total = file.Length;
        var expect = job.Expect with { Size = file.Length };
        return await driver.WriteFromStreamAsync(target, watch.Wrap(file.Content), job.InstallPath, expect, progress, ct);
    }

    /// <summary>
    /// A file on the storage host is sized first (apparent size: a sparse file is written and hashed in full) and
    /// refused like an http source with a Content-Length when it does not fit.
    /// </summary>
    private static async Task<ImageFileFacts> FromHostFileAsync(
        IBackupStorageDriver driver, BackupStorageTarget target, CopyJob job, StallWatch watch, Func<long, Task> reserve, IProgress<TransferProgress> progress, CancellationToken ct)
    {
        var path = ImageRules.HostPath(job.Source);
        var expect = job.Expect;
        if (await driver.GetHostFileSizeAsync(target, path, ct) is { } size)
        {
            await reserve(size);
            watch.Total = size;
            expect = expect with { Size = size };
        }

        return await driver.CopyFromHostFileAsync(target, path, job.InstallPath, expect, progress, ct);
    }
}
