using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;
using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.GlobalConfigs;
using Stowage.Server.Features.Images;
using Stowage.Server.Monitoring;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Export;

/// <summary>
/// Serves export URLs: <c>GET|HEAD /zstack/v1/exports/{token}/{fileName}</c>, no session (the token is the
/// credential). A backup storage that can sign read URLs (Swift, S3) gets a GET answered with a 302 to a
/// short-lived URL signed by the store once the token, status and range are checked here, so the bytes
/// do not pass through Stowage and revoking the export still ends every new download. Otherwise bytes come from the storage host over SFTP and go into Kestrel's response pipe chunk by
/// chunk, flushing each one, so a slow client slows the SFTP reads instead of filling memory.
/// </summary>
public static partial class ExportDownload
{
    public const string PathPrefix = "/zstack/v1/exports";

    public const string RouteSuffix = "/exports/{token}/{fileName}";

    /// <summary>Large chunks keep per-chunk work (pipe flushes, socket sends) small next to the bytes.</summary>
    private const int ChunkSize = 1024 * 1024;

    public static void MapExports(this WebApplication app)
    {
        foreach (var prefix in ApiRouting.Prefixes)
        {
            app.MapMethods(prefix + RouteSuffix, [HttpMethods.Get, HttpMethods.Head], ServeAsync).ExcludeFromDescription();
        }
    }

    private static async Task ServeAsync(HttpContext http, string token, string fileName)
    {
        var services = http.RequestServices;
        var ct = http.RequestAborted;
        var logger = services.GetRequiredService<ILogger<ExportDownloadLog>>();
        var found = await FindAsync(services, token, fileName, ct);
        if (found.Error is { } error)
        {
            if (found.Status == StatusCodes.Status503ServiceUnavailable)
            {
                http.Response.Headers.RetryAfter = "30";
            }

            await ApiErrors.WriteAsync(http, found.Status, error);
            return;
        }

        var (image, copy, target, reader) = (found.Image!, found.Copy!, found.Target!, found.Reader!);
        var size = image.ActualSize;
        var etag = "\"" + image.Sha256Sum + "\"";
        var headers = http.Response.Headers;
        headers.AcceptRanges = "bytes";
        headers.ETag = etag;
        headers.CacheControl = "no-store";
        headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileNameStar = Path.GetFileName(copy.InstallPath) }.ToString();
        if (Digests(image) is { } digests)
        {
            headers["Digest"] = digests.Legacy;
            headers["Repr-Digest"] = digests.Structured;
        }

        var rangeHeader = http.Request.Headers.Range.ToString();
        var ifRange = http.Request.Headers.IfRange.ToString();
        var range = ifRange.Length > 0 && ifRange != etag ? new HttpRange(RangeKind.Full, 0, size) : HttpRange.Parse(rangeHeader, size);
        if (range.Kind == RangeKind.Unsatisfiable)
        {
            headers.ContentRange = $"bytes */{size.ToString(CultureInfo.InvariantCulture)}";
            await ApiErrors.WriteAsync(http, StatusCodes.Status416RangeNotSatisfiable, Errors.Argument($"range[{rangeHeader}] is outside the {size} bytes of {fileName}"));
            return;
        }

        if (range.Kind == RangeKind.Partial)
        {
            http.Response.StatusCode = StatusCodes.Status206PartialContent;
            headers.ContentRange = string.Create(CultureInfo.InvariantCulture, $"bytes {range.Start}-{range.End}/{size}");
        }

        http.Response.ContentType = "application/octet-stream";
        http.Response.ContentLength = range.Length;
        if (HttpMethods.IsHead(http.Request.Method) || range.Length == 0)
        {
            return;
        }

        if (await SignedUrlAsync(services, found, ct) is { } signed)
        {
            // The store serves the bytes (Range included); Stowage checked the token, the range and the status.
            http.Response.Clear();
            http.Response.Headers.CacheControl = "no-store";
            http.Response.Redirect(signed.AbsoluteUri);
            LogRedirected(logger, image.Uuid, copy.BackupStorageUuid);
            return;
        }

        Stream source;
        try
        {
            source = await reader.OpenReadAsync(target, copy.InstallPath, range.Start, ct);
        }
        catch (StorageException e)
        {
            var status = e.Failure == StorageFailure.BadLocation ? StatusCodes.Status404NotFound : StatusCodes.Status503ServiceUnavailable;
            http.Response.Headers.Remove(HeaderNames.ContentRange);
            http.Response.ContentLength = null;
            await ApiErrors.WriteAsync(http, status, Errors.Operr($"cannot read the exported image[uuid:{image.Uuid}]: {e.Message}"));
            return;
        }

        await using (source)
        {
            if (source.Length != size)
            {
                http.Response.ContentLength = null;
                await ApiErrors.WriteAsync(http, StatusCodes.Status503ServiceUnavailable, Errors.Operr($"the file of image[uuid:{image.Uuid}] on the backup storage is {source.Length} bytes, not the recorded {size}"));
                return;
            }

            var started = System.Diagnostics.Stopwatch.GetTimestamp();
            var copied = await CopyAsync(source, http, range.Length, ct);
            LogServed(logger, image.Uuid, copy.BackupStorageUuid, range.Start, copied);
            services.GetRequiredService<StowageMetrics>().Transferred("out", "export", copied, System.Diagnostics.Stopwatch.GetElapsedTime(started), copied == range.Length ? "succeeded" : "failed");
            if (copied != range.Length)
            {
                // Headers promised more bytes than the host delivered: cut the connection so the client sees a failure.
                http.Abort();
            }
        }
    }

    /// <summary>
    /// A URL signed by the store for a backup storage that can sign (Swift TempURL, S3 presigned GET), valid for
    /// <see cref="ExportConfigs.SignedUrlLifetime"/> or what is left of the export, whichever is shorter; null
    /// when the type cannot sign or <c>export.proxyObjectStore</c> keeps the bytes flowing through Stowage.
    /// </summary>
    private static async Task<Uri?> SignedUrlAsync(IServiceProvider services, Lookup found, CancellationToken ct)
    {
        if (found.Reader is not ISignedUrlAccess signer || found.Reader is not IBackupStorageDriver { Capabilities.SignedReadUrls: true }
            || services.GetRequiredService<GlobalConfigStore>().GetBool(ExportConfigs.ProxyObjectStore))
        {
            return null;
        }

        var left = found.ExpiresAt - services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        var lifetime = left < ExportConfigs.SignedUrlLifetime ? left : ExportConfigs.SignedUrlLifetime;
        try
        {
            return await signer.CreateReadUrlAsync(found.Target!, found.Copy!.InstallPath, lifetime < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : lifetime, ct);
        }
        catch (StorageException)
        {
            // The store could not sign (key not settable, store down): serve through Stowage, which reports its own error.
            return null;
        }
    }

    private static async Task<long> CopyAsync(Stream source, HttpContext http, long length, CancellationToken ct)
    {
        var writer = http.Response.BodyWriter;
        long done = 0;
        try
        {
            while (done < length)
            {
                var memory = writer.GetMemory(ChunkSize);
                var want = (int)Math.Min(memory.Length, length - done);
                var n = await source.ReadAsync(memory[..want], ct);
                if (n == 0)
                {
                    break;
                }

                writer.Advance(n);
                done += n;
                var flushed = await writer.FlushAsync(ct);
                if (flushed.IsCanceled || flushed.IsCompleted)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The client went away; disposing the source returns the SFTP session.
        }
        catch (Exception e) when (e is StorageException or IOException or Renci.SshNet.Common.SshException)
        {
            http.Abort();
        }

        return done;
    }

    private static async Task<Lookup> FindAsync(IServiceProvider services, string token, string fileName, CancellationToken ct)
    {
        var gone = Errors.NotFound("the export does not exist, was deleted or has expired");
        if (!ExportTokens.LooksValid(token))
        {
            return Lookup.Fail(StatusCodes.Status404NotFound, gone);
        }

        var hash = ExportTokens.Hash(token);
        await using var db = services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        var export = await db.ImageExports.AsNoTracking().FirstOrDefaultAsync(x => x.TokenHash == hash, ct);
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        var lifetime = TimeSpan.FromSeconds(services.GetRequiredService<GlobalConfigStore>().GetLong(ExportConfigs.ExpirationTime));
        if (export is null || export.FileName != fileName || export.CreateDate + lifetime <= now)
        {
            return Lookup.Fail(StatusCodes.Status404NotFound, gone);
        }

        var copy = await db.ImageBackupStorageRefs.AsNoTracking().FirstOrDefaultAsync(r => r.Id == export.RefId, ct);
        var image = await db.Images.AsNoTracking().FirstOrDefaultAsync(i => i.Uuid == export.ImageUuid, ct);
        if (copy is null || image is null || copy.Status != ImageStatus.Ready || image.Status == ImageStatus.Deleted)
        {
            return Lookup.Fail(StatusCodes.Status404NotFound, Errors.NotFound($"image[uuid:{export.ImageUuid}] was deleted from backup storage[uuid:{export.BackupStorageUuid}]"));
        }

        var bs = await db.BackupStorages.AsNoTracking().FirstOrDefaultAsync(b => b.Uuid == export.BackupStorageUuid, ct);
        if (bs is null)
        {
            return Lookup.Fail(StatusCodes.Status404NotFound, gone);
        }

        if (bs.Status != BackupStorageStatus.Connected)
        {
            return Lookup.Fail(StatusCodes.Status503ServiceUnavailable, Errors.Operr($"backup storage[uuid:{bs.Uuid}, name:{bs.Name}] is {bs.Status}, not Connected; try again later"));
        }

        var connector = services.GetRequiredService<BackupStorageConnector>();
        if (!connector.Drivers.TryGet(bs.Type, out var driver) || driver is not IImageReader reader)
        {
            return Lookup.Fail(StatusCodes.Status404NotFound, gone);
        }

        return new Lookup(StatusCodes.Status200OK, null, image, copy, await connector.LoadTargetAsync(db, bs, ct), reader, export.CreateDate + lifetime);
    }

    /// <summary>RFC 3230 <c>Digest</c> and RFC 9530 <c>Repr-Digest</c> of the whole file (also on 206 answers).</summary>
    private static (string Legacy, string Structured)? Digests(ImageEntity image)
    {
        if (image.Sha256Sum is not { Length: 64 } sha || image.Md5Sum is not { Length: 32 } md5)
        {
            return null;
        }

        var s = Convert.ToBase64String(Convert.FromHexString(sha));
        var m = Convert.ToBase64String(Convert.FromHexString(md5));
        return ($"sha-256={s},md5={m}", $"sha-256=:{s}:, md5=:{m}:");
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "export of image {Image} on backup storage {Bs}: redirected to a URL signed by the store")]
    private static partial void LogRedirected(ILogger logger, string image, string bs);

    [LoggerMessage(Level = LogLevel.Information, Message = "export of image {Image} on backup storage {Bs}: served {Bytes} bytes from offset {Offset}")]
    private static partial void LogServed(ILogger logger, string image, string bs, long offset, long bytes);

    private sealed record Lookup(int Status, ErrorCode? Error, ImageEntity? Image, ImageBackupStorageRefEntity? Copy, BackupStorageTarget? Target, IImageReader? Reader, DateTime ExpiresAt = default)
    {
        public static Lookup Fail(int status, ErrorCode error) => new(status, error, null, null, null, null);
    }
}

/// <summary>Logger category of export downloads.</summary>
public sealed class ExportDownloadLog;
