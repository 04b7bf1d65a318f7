using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Stowage.Core.Storage;

namespace Stowage.ObjectStore.S3;

/// <summary>Multipart uploads (segmented writes), their leftovers, server-side copies and the failure mapping.</summary>
internal sealed partial class S3Client
{
    /// <summary>Largest single CopyObject; larger objects are copied part by part with UploadPartCopy.</summary>
    private const long MaxSingleCopy = 5L * 1024 * 1024 * 1024;

    private const long CopyPartSize = 512L * 1024 * 1024;

    public async Task<ISegmentedWrite> StartSegmentedAsync(string key, CancellationToken cancellationToken)
    {
        var r = await Call(() => _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = key }, cancellationToken), cancellationToken);
        return new MultipartWrite(this, key, r.UploadId);
    }

    /// <summary>Parts past the recorded ones are left out of the completion, so the store drops them.</summary>
    public ISegmentedWrite ResumeSegmented(string key, string writeId, IReadOnlyList<UploadedSegment> uploaded)
    {
        var write = new MultipartWrite(this, key, writeId);
        foreach (var s in uploaded)
        {
            write.Record(s.Number, s.Etag, s.Size);
        }

        return write;
    }

    public async Task<IReadOnlyList<Leftover>> ListLeftoversAsync(string prefix, CancellationToken cancellationToken)
    {
        var result = new List<Leftover>();
        foreach (var byKey in (await UploadsAsync(prefix, cancellationToken)).GroupBy(u => u.Key, StringComparer.Ordinal))
        {
            long size = 0;
            foreach (var upload in byKey)
            {
                var parts = await Call(() => _s3.ListPartsAsync(new ListPartsRequest { BucketName = bucket, Key = upload.Key, UploadId = upload.UploadId }, cancellationToken), cancellationToken);
                size += (parts.Parts ?? []).Sum(p => p.Size ?? 0);
            }

            result.Add(new Leftover(byKey.Key, size, byKey.Max(u => (u.Initiated ?? DateTime.UnixEpoch).ToUniversalTime())));
        }

        return result;
    }

    public async Task RemoveLeftoversAsync(string key, CancellationToken cancellationToken)
    {
        foreach (var upload in (await UploadsAsync(key, cancellationToken)).Where(u => u.Key == key))
        {
            await Abort(key, upload.UploadId, cancellationToken);
        }
    }

    public async Task CopyAsync(string sourceKey, string destinationKey, long size, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        if (size <= MaxSingleCopy)
        {
            var request = new CopyObjectRequest
            {
                SourceBucket = bucket,
                SourceKey = sourceKey,
                DestinationBucket = bucket,
                DestinationKey = destinationKey,
                MetadataDirective = S3MetadataDirective.REPLACE,
            };
            foreach (var (name, value) in metadata)
            {
                request.Metadata[name] = value;
            }

            await Call(() => _s3.CopyObjectAsync(request, cancellationToken), cancellationToken);
            return;
        }

        var start = await Call(() => _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = destinationKey }, cancellationToken), cancellationToken);
        try
        {
            var etags = new List<PartETag>();
            for (long first = 0, n = 1; first < size; first += CopyPartSize, n++)
            {
                var part = new CopyPartRequest
                {
                    SourceBucket = bucket,
                    SourceKey = sourceKey,
                    DestinationBucket = bucket,
                    DestinationKey = destinationKey,
                    UploadId = start.UploadId,
                    PartNumber = (int)n,
                    FirstByte = first,
                    LastByte = Math.Min(size, first + CopyPartSize) - 1,
                };
                var r = await Call(() => _s3.CopyPartAsync(part, cancellationToken), cancellationToken);
                etags.Add(new PartETag((int)n, r.ETag));
            }

            await Call(() => _s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest { BucketName = bucket, Key = destinationKey, UploadId = start.UploadId, PartETags = etags }, cancellationToken), cancellationToken);
        }
        catch
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await Abort(destinationKey, start.UploadId, cts.Token);
            throw;
        }
    }

    /// <summary>
    /// One <c>UploadPartCopy</c> per <paramref name="partSize"/> range into a new multipart upload. Each answer's ETag is
    /// the md5 of the bytes the store wrote for that part (where ETags are md5s: not under SSE-KMS or SSE-C). The copy
    /// is proven when one part's md5 is the image's recorded md5, or when the parts' md5s make the source's own
    /// multipart ETag (<c>md5(part md5s)-N</c>, fixed at the source's completion from the md5s Stowage sent as
    /// Content-MD5): that needs the copy cut where the source was cut, which Stowage's own writes of that size are
    /// (the same segment size). Otherwise the store's answers cannot tell (and S3 cannot list a completed object's parts).
    /// </summary>
    public async Task<StoreCopy> CopySegmentsAsync(string sourceKey, string destinationKey, long size, string recordedMd5, int partSize,
        IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var head = await HeadAsync(sourceKey, cancellationToken) ?? throw new StorageException(StorageFailure.SourceFailed, $"object {sourceKey} does not exist in bucket {bucket}");
        var start = await Call(() => _s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = destinationKey }, cancellationToken), cancellationToken);
        var write = new MultipartWrite(this, destinationKey, start.UploadId);
        try
        {
            var runner = new StoreCopyRunner(progress);
            await StoreCopyRunner.RunAsync((int)((size + partSize - 1) / partSize), async i =>
            {
                var first = (long)i * partSize;
                var part = new CopyPartRequest
                {
                    SourceBucket = bucket,
                    SourceKey = sourceKey,
                    DestinationBucket = bucket,
                    DestinationKey = destinationKey,
                    UploadId = start.UploadId,
                    PartNumber = i + 1,
                    FirstByte = first,
                    LastByte = Math.Min(size, first + partSize) - 1,
                };
                var r = await Call(() => _s3.CopyPartAsync(part, CancellationToken.None), CancellationToken.None);
                write.Record(i + 1, r.ETag, part.LastByte.Value - first + 1);
                runner.Copied(part.LastByte.Value - first + 1);
            }, cancellationToken);
            var parts = write.Uploaded;
            var md5s = parts.Select(p => Unquote(p.Etag)).ToList();
            var proven = md5s.Count == 1
                ? string.Equals(md5s[0], recordedMd5, StringComparison.OrdinalIgnoreCase)
                : md5s.All(IsMd5) && head.Etag == MultipartEtag(md5s);
            return new StoreCopy(write, parts, proven, null);
        }
        catch
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await Abort(destinationKey, start.UploadId, cts.Token);
            throw;
        }
    }

    internal static string Unquote(string? etag) => (etag ?? string.Empty).Trim().Trim('"').ToLowerInvariant();

    private static bool IsMd5(string hex) => hex.Length == 32 && hex.All(char.IsAsciiHexDigitLower);

    /// <summary>S3's ETag of a multipart object: the md5 of its parts' binary md5s, then the part count.</summary>
    private static string MultipartEtag(List<string> partMd5s) =>
        Checksums.Md5Hex([.. partMd5s.SelectMany(Convert.FromHexString)]) + "-" + partMd5s.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private async Task<List<MultipartUpload>> UploadsAsync(string prefix, CancellationToken ct)
    {
        var result = new List<MultipartUpload>();
        string? keyMarker = null;
        string? idMarker = null;
        while (true)
        {
            var request = new ListMultipartUploadsRequest { BucketName = bucket, Prefix = prefix, KeyMarker = keyMarker, UploadIdMarker = idMarker };
            var r = await Call(() => _s3.ListMultipartUploadsAsync(request, ct), ct);
            result.AddRange(r.MultipartUploads ?? []);
            if (r.IsTruncated != true)
            {
                return result;
            }

            (keyMarker, idMarker) = (r.NextKeyMarker, r.NextUploadIdMarker);
        }
    }

    private async Task Abort(string key, string uploadId, CancellationToken ct)
    {
        try
        {
            await Call(() => _s3.AbortMultipartUploadAsync(new AbortMultipartUploadRequest { BucketName = bucket, Key = key, UploadId = uploadId }, ct), ct);
        }
        catch (StorageException e) when (e.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.NotFound })
        {
            // Already gone.
        }
    }

    /// <summary>Runs an SDK call; its failures become <see cref="StorageException"/> (the S3 exception kept inside).</summary>
    private async Task<T> Call<T>(Func<Task<T>> call, CancellationToken ct)
    {
        try
        {
            return await call();
        }
        catch (AmazonS3Exception e)
        {
            var what = $"bucket {bucket} of backup storage {target.Uuid} answered {(int)e.StatusCode} {e.ErrorCode}";
            throw e.StatusCode switch
            {
                HttpStatusCode.RequestEntityTooLarge => new StorageException(StorageFailure.NoSpace, $"the store is full: {what}", e),
                _ when e.ErrorCode is "EntityTooLarge" or "QuotaExceeded" => new StorageException(StorageFailure.NoSpace, $"the store is full: {what}", e),
                _ when e.ErrorCode is "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "AccessDenied" =>
                    new StorageException(StorageFailure.AuthenticationFailed, $"{what}: the credentials are refused", e),
                _ when e.ErrorCode is "BadDigest" or "InvalidDigest" => new StorageException(StorageFailure.CommandFailed, $"{what}: the bytes the store received do not match their checksum", e),
                HttpStatusCode.NotFound => new StorageException(StorageFailure.BadLocation, what, e),
                >= HttpStatusCode.InternalServerError => new StorageException(StorageFailure.Unreachable, what, e),
                _ => new StorageException(StorageFailure.CommandFailed, $"{what}: {e.Message}", e),
            };
        }
        catch (AmazonServiceException e) when (!ct.IsCancellationRequested)
        {
            throw new StorageException(StorageFailure.Unreachable, $"cannot reach bucket {bucket} of backup storage {target.Uuid}: {e.Message}", e);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or AmazonClientException)
        {
            throw new StorageException(StorageFailure.Unreachable, $"cannot reach bucket {bucket} of backup storage {target.Uuid}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new StorageException(StorageFailure.Timeout, $"bucket {bucket} of backup storage {target.Uuid} did not answer in time", e);
        }
    }

    /// <summary>One multipart upload; each part carries Content-MD5, which the store checks.</summary>
    private sealed class MultipartWrite(S3Client client, string key, string uploadId) : ISegmentedWrite
    {
        private readonly SortedDictionary<int, (string Etag, long Size)> _etags = [];

        public string WriteId => uploadId;

        public IReadOnlyList<UploadedSegment> Uploaded
        {
            get
            {
                lock (_etags)
                {
                    return [.. _etags.Select(p => new UploadedSegment(p.Key, p.Value.Etag, p.Value.Size))];
                }
            }
        }

        public void Record(int number, string etag, long size)
        {
            lock (_etags)
            {
                _etags[number] = (etag, size);
            }
        }

        public async Task UploadAsync(int number, ReadOnlyMemory<byte> data, Task<string> md5Hex, CancellationToken cancellationToken)
        {
            using var body = Body(data);
            var request = new UploadPartRequest
            {
                BucketName = client.Container,
                Key = key,
                UploadId = uploadId,
                PartNumber = number,
                InputStream = body,
                PartSize = data.Length,
                MD5Digest = Base64(await md5Hex),
                UseChunkEncoding = false,
            };
            var r = await client.Call(() => client._s3.UploadPartAsync(request, cancellationToken), cancellationToken);
            Record(number, r.ETag, data.Length);
        }

        public Task CompleteAsync(IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken) =>
            client.Call(() => client._s3.CompleteMultipartUploadAsync(new CompleteMultipartUploadRequest
            {
                BucketName = client.Container,
                Key = key,
                UploadId = uploadId,
                PartETags = [.. _etags.Select(p => new PartETag(p.Key, p.Value.Etag))],
            }, cancellationToken), cancellationToken);

        public Task AbortAsync(CancellationToken cancellationToken) => client.Abort(key, uploadId, cancellationToken);
    }
}
