using System.Net;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Stowage.Core.Storage;

namespace Stowage.ObjectStore.S3;

/// <summary>
/// S3 through AWSSDK.S3 for one bucket, within what AWS S3, Ceph RGW, MinIO and Swift's s3api all accept:
/// SigV4, no aws-chunked bodies (<c>UseChunkEncoding = false</c>, checksums only when required), Content-MD5 on
/// every body, objects deleted one key at a time (no multi-object delete, which needs Content-MD5 that current
/// SDKs replace by CRC32). Multipart uploads hold Stowage's metadata only on single-request objects: S3 takes
/// metadata at the start of a multipart upload, before the digests are known.
/// </summary>
internal sealed partial class S3Client(AmazonS3Client s3, BackupStorageTarget target, string bucket) : IObjectClient
{
    private readonly AmazonS3Client _s3 = s3;

    private const string MetaPrefix = "x-amz-meta-";

    public string Container => bucket;

    public int MaxSegments => 1000;

    public int MinSegmentSize => 5 * 1024 * 1024;

    public async Task<bool> ContainerExistsAsync(CancellationToken cancellationToken)
    {
        try
        {
            await Call(() => _s3.ListObjectsV2Async(new ListObjectsV2Request { BucketName = bucket, MaxKeys = 1 }, cancellationToken), cancellationToken);
            return true;
        }
        catch (StorageException e) when (e.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.NotFound })
        {
            return false;
        }
    }

    public Task CreateContainerAsync(CancellationToken cancellationToken) =>
        Call(() => _s3.PutBucketAsync(new PutBucketRequest { BucketName = bucket }, cancellationToken), cancellationToken);

    public async Task<ObjectHead?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        try
        {
            var r = await Call(() => _s3.GetObjectMetadataAsync(new GetObjectMetadataRequest { BucketName = bucket, Key = key }, cancellationToken), cancellationToken);
            var meta = r.Metadata.Keys.ToDictionary(
                k => (k.StartsWith(MetaPrefix, StringComparison.OrdinalIgnoreCase) ? k[MetaPrefix.Length..] : k).ToLowerInvariant(), k => r.Metadata[k], StringComparer.Ordinal);
            return new ObjectHead(r.ContentLength, meta, r.ETag?.Contains('-', StringComparison.Ordinal) == true) { Etag = r.ETag is null ? null : Unquote(r.ETag) };
        }
        catch (StorageException e) when (e.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.NotFound })
        {
            return null;
        }
    }

    public async Task<byte[]?> GetSmallAsync(string key, int maxBytes, CancellationToken cancellationToken)
    {
        try
        {
            using var r = await Call(() => _s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key }, cancellationToken), cancellationToken);
            if (r.ContentLength > maxBytes)
            {
                throw new StorageException(StorageFailure.CommandFailed, $"object {key} in bucket {bucket} is larger than {maxBytes} bytes");
            }

            return await ReadAllAsync(r, cancellationToken);
        }
        catch (StorageException e) when (e.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.NotFound })
        {
            return null;
        }
    }

    public async Task PutAsync(string key, ReadOnlyMemory<byte> data, string md5Hex, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        using var body = Body(data);
        var request = new PutObjectRequest
        {
            BucketName = bucket,
            Key = key,
            InputStream = body,
            AutoCloseStream = false,
            MD5Digest = Base64(md5Hex),
            UseChunkEncoding = false,
        };
        foreach (var (name, value) in metadata)
        {
            request.Metadata[name] = value;
        }

        await Call(() => _s3.PutObjectAsync(request, cancellationToken), cancellationToken);
    }

    public async Task<byte[]> ReadHeadAsync(string key, int count, CancellationToken cancellationToken)
    {
        using var r = await Call(() => _s3.GetObjectAsync(new GetObjectRequest { BucketName = bucket, Key = key, ByteRange = new ByteRange(0, count - 1) }, cancellationToken), cancellationToken);
        return await ReadAllAsync(r, cancellationToken);
    }

    // The body is read under Call too: a connection that breaks mid-body is a store failure like any other.
    private async Task<byte[]> ReadAllAsync(GetObjectResponse response, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        await Call(async () =>
        {
            await response.ResponseStream.CopyToAsync(buffer, cancellationToken);
            return true;
        }, cancellationToken);
        return buffer.ToArray();
    }

    public async Task<Stream> OpenReadAsync(string key, long offset, CancellationToken cancellationToken)
    {
        var request = new GetObjectRequest { BucketName = bucket, Key = key };
        if (offset > 0)
        {
            request.ByteRange = new ByteRange($"bytes={offset}-");
        }

        GetObjectResponse r;
        try
        {
            r = await Call(() => _s3.GetObjectAsync(request, cancellationToken), cancellationToken);
        }
        catch (StorageException e) when (e.InnerException is AmazonS3Exception { StatusCode: HttpStatusCode.RequestedRangeNotSatisfiable })
        {
            var head = await HeadAsync(key, cancellationToken)
                ?? throw new StorageException(StorageFailure.CommandFailed, $"object {key} does not exist in bucket {bucket}", e);
            return new ObjectReadStream(Stream.Null, head.Size, null);
        }

        var total = r.ContentRange is { } range && range.LastIndexOf('/') is var at and > 0 && long.TryParse(range[(at + 1)..], out var t) ? t : r.ContentLength;
        return new ObjectReadStream(r.ResponseStream, total, r);
    }

    public Task DeleteAsync(string key, CancellationToken cancellationToken) =>
        Call(() => _s3.DeleteObjectAsync(new DeleteObjectRequest { BucketName = bucket, Key = key }, cancellationToken), cancellationToken);

    public async Task<IReadOnlyList<ListedObject>> ListAsync(string prefix, CancellationToken cancellationToken)
    {
        var result = new List<ListedObject>();
        string? next = null;
        do
        {
            var request = new ListObjectsV2Request { BucketName = bucket, Prefix = prefix, ContinuationToken = next };
            var r = await Call(() => _s3.ListObjectsV2Async(request, cancellationToken), cancellationToken);
            result.AddRange((r.S3Objects ?? []).Select(o => new ListedObject(o.Key, o.Size ?? 0, (o.LastModified ?? DateTime.UnixEpoch).ToUniversalTime())));
            next = r.IsTruncated == true ? r.NextContinuationToken : null;
        }
        while (next is not null);
        return result;
    }

    public Task<AccountUsage?> AccountUsageAsync(CancellationToken cancellationToken) => Task.FromResult<AccountUsage?>(null);

    public async Task<Uri> SignedGetAsync(string key, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var request = new GetPreSignedUrlRequest
        {
            BucketName = bucket,
            Key = key,
            Verb = HttpVerb.GET,
            Expires = DateTime.UtcNow.Add(lifetime),
            Protocol = _s3.Config.ServiceURL?.StartsWith("http://", StringComparison.OrdinalIgnoreCase) == true ? Protocol.HTTP : Protocol.HTTPS,
        };
        return new Uri(await Call(() => _s3.GetPreSignedURLAsync(request), cancellationToken));
    }

    public Task RotateSigningKeyAsync(bool revokeAll, CancellationToken cancellationToken) =>
        throw new StorageException(StorageFailure.BadLocation,
            $"S3 presigned URLs are signed with the access key of backup storage {target.Uuid}: they end when they expire, or at once when that access key is rotated in the store");

    public void Dispose() => _s3.Dispose();

    private static MemoryStream Body(ReadOnlyMemory<byte> data) =>
        System.Runtime.InteropServices.MemoryMarshal.TryGetArray(data, out var segment)
            ? new MemoryStream(segment.Array!, segment.Offset, segment.Count, writable: false)
            : new MemoryStream(data.ToArray(), writable: false);

    private static string Base64(string hex) => Convert.ToBase64String(Convert.FromHexString(hex));
}
