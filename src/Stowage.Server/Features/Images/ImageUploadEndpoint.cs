using System.Globalization;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Features;
using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.Core.Resources;
using Stowage.Persistence;
using Stowage.Server.Protocol;
using Stowage.Server.Features.VolumeArchives;
using Stowage.Server.Monitoring;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Images;

/// <summary>
/// The upload url of AddImage with <c>upload://</c>: <c>PUT</c> sends bytes (all at once, or in pieces with
/// <c>Content-Range: bytes start-end/total</c>), <c>HEAD</c>/<c>GET</c> tell how many bytes are on the storage.
/// No session: the token in the path is the credential. Every error is a ZStack envelope.
/// </summary>
public static partial class ImageUploadEndpoint
{
    [GeneratedRegex("^bytes ([0-9]{1,19})-([0-9]{1,19})/([0-9]{1,19})$")]
    private static partial Regex ContentRange();

    public static void MapImageUploads(this WebApplication app)
    {
        foreach (var prefix in ApiRouting.Prefixes)
        {
            var path = prefix + ImageUploads.RoutePrefix + "/{token}";
            app.MapPut(path, PutAsync).ExcludeFromDescription();
            app.MapMethods(path, ["GET", "HEAD"], StatusAsync).ExcludeFromDescription();
        }
    }

    private static async Task StatusAsync(HttpContext http, string token, ImageUploads uploads)
    {
        var ct = http.RequestAborted;
        var s = await uploads.FindAsync(token, ct);
        if (s is null)
        {
            await NotFoundAsync(http);
            return;
        }

        long size;
        try
        {
            var (driver, target) = uploads.Storage(s);
            size = await driver.GetUploadedSizeAsync(target, s.InstallPath, ct);
        }
        catch (StorageException e)
        {
            await ApiErrors.WriteAsync(http, StatusCodes.Status503ServiceUnavailable, Errors.Operr(e.Message));
            return;
        }

        SetProgressHeaders(http, s, size);
        if (HttpMethods.IsHead(http.Request.Method))
        {
            http.Response.StatusCode = StatusCodes.Status200OK;
            return;
        }

        await ApiErrors.WriteJsonAsync(http, StatusCodes.Status200OK, Progress(s, size).ToJsonString());
    }

    private static async Task PutAsync(HttpContext http, string token, ImageUploads uploads, TransferRegistry transfers)
    {
        var s = await uploads.FindAsync(token, http.RequestAborted);
        if (s is null)
        {
            await NotFoundAsync(http);
            return;
        }

        if (s.Bs.State != nameof(ResourceState.Enabled) || s.Bs.Status != BackupStorageStatus.Connected)
        {
            await ApiErrors.WriteAsync(http, StatusCodes.Status503ServiceUnavailable,
                Errors.Operr($"backup storage[uuid:{s.Bs.Uuid}] cannot take the upload because its state is {s.Bs.State} and its status is {s.Bs.Status}"));
            return;
        }

        if (ParseRange(http.Request) is not { } range)
        {
            await ApiErrors.WriteAsync(http, StatusCodes.Status400BadRequest,
                Errors.Argument("send a Content-Length, and for a piece Content-Range: bytes <start>-<end>/<total> with end < total and Content-Length = end - start + 1"));
            return;
        }

        if (s.Row.TotalSize is { } known && known != range.Total)
        {
            await RangeErrorAsync(http, s, s.Row.ReceivedSize, $"the upload's total is {known} bytes, not {range.Total}");
            return;
        }

        if (transfers.IsRunning(s.ItemUuid, s.BsUuid))
        {
            await ApiErrors.WriteAsync(http, StatusCodes.Status409Conflict, Errors.Operr("another PUT to this upload url is running"));
            return;
        }

        // The body is streamed to the host, never buffered, so the server-wide request size limit does not apply.
        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = null;
        }

        using var cts = new CancellationTokenSource();
        var entry = transfers.Start(s.ItemUuid, s.BsUuid, cts);
        entry.Total = range.Total;
        entry.BytesDone = range.Start;
        entry.CountInto(http.RequestServices.GetRequiredService<StowageMetrics>(), "in", "upload");
        string? discard = null;
        try
        {
            var (driver, target) = uploads.Storage(s);
            if (range.Start > 0)
            {
                var have = await driver.GetUploadedSizeAsync(target, s.InstallPath, cts.Token);
                if (have != range.Start)
                {
                    await RangeErrorAsync(http, s, have, $"the storage holds {have} bytes of this upload; continue at byte {have}");
                    return;
                }
            }

            if (s.Row.TotalSize is null)
            {
                await uploads.AnnounceTotalAsync(s, range.Total, cts.Token);
            }

            var expect = new ImageExpectations(range.Total, s.Row.Md5, s.Row.Sha256);
            // A chunked piece (curl -T - sends one) has no Content-Length: its range says how long it is. The
            // view also tells the driver the piece's length (a small piece is not worth an ssh start).
            var body = new LengthLimitedStream(http.Request.Body, range.End - range.Start + 1);
            var chunk = await driver.WriteUploadChunkAsync(target, body, s.InstallPath, range.Start, range.Total, expect, cts.Token);
            entry.BytesDone = chunk.Size;
            if (chunk.Facts is { } facts)
            {
                await uploads.CompleteAsync(s, facts);
                await using var db = http.RequestServices.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
                var reply = s.Kind is { } kind
                    ? (await VolumeArchiveInventory.LoadAsync(db, kind, [s.ItemUuid], CancellationToken.None)).Single().Reply()
                    : (await ImageInventory.LoadOneAsync(db, s.ItemUuid, CancellationToken.None)).Reply();
                await ApiErrors.WriteJsonAsync(http, StatusCodes.Status200OK, ApiReply.RenderNode(reply, false));
                return;
            }

            await uploads.RecordProgressAsync(s, chunk.Size);
            SetProgressHeaders(http, s, chunk.Size);
            await ApiErrors.WriteJsonAsync(http, StatusCodes.Status308PermanentRedirect, Progress(s, chunk.Size).ToJsonString());
        }
        catch (OperationCanceledException) when (entry.CancelledByDelete)
        {
            await NotFoundAsync(http);
        }
        catch (ApiException e)
        {
            await ApiErrors.WriteAsync(http, StatusCodes.Status507InsufficientStorage, e.Error);
        }
        catch (StorageException e) when (e.Failure == StorageFailure.SourceFailed && range.End + 1 == range.Total)
        {
            discard = $"failed to upload {s.Noun}[uuid: {s.ItemUuid}] to backup storage[uuid: {s.BsUuid}], because: {e.Message}";
        }
        catch (StorageException e)
        {
            await ApiErrors.WriteAsync(http, StatusCodes.Status503ServiceUnavailable, Errors.Operr(e.Message));
        }
        finally
        {
            transfers.Finish(s.ItemUuid, s.BsUuid, entry);
        }

        if (discard is not null)
        {
            // The last piece did not verify (size or checksum): the upload is over, like a failed download.
            await uploads.DiscardAsync(s.Row, discard);
            await ApiErrors.WriteAsync(http, StatusCodes.Status400BadRequest, Errors.Of(Errors.CreateResource, discard));
        }
    }

    /// <summary>
    /// Without Content-Range the body is the whole file (Content-Length bytes, starting over). With it, the
    /// piece must be well formed and its Content-Length, when given, must match; a chunked piece (no
    /// Content-Length) is read up to the range's end. Null means a 400.
    /// </summary>
    private static (long Start, long End, long Total)? ParseRange(HttpRequest request)
    {
        var length = request.ContentLength;
        var header = request.Headers.ContentRange.ToString();
        if (header.Length == 0)
        {
            return length is > 0 ? (0, length.Value - 1, length.Value) : null;
        }

        var m = ContentRange().Match(header);
        if (!m.Success
            || !long.TryParse(m.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var start)
            || !long.TryParse(m.Groups[2].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var end)
            || !long.TryParse(m.Groups[3].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var total)
            || start > end || end >= total || (length is not null && length != end - start + 1) || (length is null && !IsChunked(request)))
        {
            return null;
        }

        return (start, end, total);
    }

    private static bool IsChunked(HttpRequest request) =>
        request.Headers.TransferEncoding.ToString().Contains("chunked", StringComparison.OrdinalIgnoreCase);

    private static Task RangeErrorAsync(HttpContext http, UploadSession s, long have, string why)
    {
        SetProgressHeaders(http, s, have);
        return ApiErrors.WriteAsync(http, StatusCodes.Status416RangeNotSatisfiable, Errors.Argument(why));
    }

    private static Task NotFoundAsync(HttpContext http) =>
        ApiErrors.WriteAsync(http, StatusCodes.Status404NotFound, Errors.NotFound("no upload at this url: the token is unknown, expired, finished, or its image was deleted"));

    /// <summary><c>Range: bytes=0-(n-1)</c> as in resumable-upload conventions, plus the plain counts.</summary>
    private static void SetProgressHeaders(HttpContext http, UploadSession s, long size)
    {
        var headers = http.Response.Headers;
        if (size > 0)
        {
            headers["Range"] = $"bytes=0-{(size - 1).ToString(CultureInfo.InvariantCulture)}";
        }

        headers["Upload-Offset"] = size.ToString(CultureInfo.InvariantCulture);
        if (s.Row.TotalSize is { } total)
        {
            headers["Upload-Length"] = total.ToString(CultureInfo.InvariantCulture);
        }

        headers["Upload-Expires"] = s.Row.ExpiresAt.ToString("O", CultureInfo.InvariantCulture);
    }

    private static JsonObject Progress(UploadSession s, long size) => new()
    {
        [s.Kind is null ? "imageUuid" : s.Kind.RefUuidField] = s.ItemUuid,
        ["backupStorageUuid"] = s.BsUuid,
        ["uploadedBytes"] = size,
        ["totalBytes"] = s.Row.TotalSize,
        ["expiresAt"] = s.Row.ExpiresAt.ToString("O", CultureInfo.InvariantCulture),
    };
}
