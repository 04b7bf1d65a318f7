namespace Stowage.ObjectStore;

/// <summary>An object as a listing shows it: key relative to the container or bucket, size, last change.</summary>
internal sealed record ListedObject(string Key, long Size, DateTime ModifiedUtc);

/// <summary>What a HEAD of one object answered: its size and Stowage's metadata on it (lowercase names, no prefix).</summary>
internal sealed record ObjectHead(long Size, IReadOnlyDictionary<string, string> Metadata, bool Segmented)
{
    /// <summary>The object's ETag as the store answers it (unquoted, lowercase); S3 only (a multipart one is <c>md5-of-part-md5s-N</c>).</summary>
    public string? Etag { get; init; }
}

/// <summary>The leftovers of an interrupted segmented write of <see cref="Key"/>: segments or an incomplete multipart upload.</summary>
internal sealed record Leftover(string Key, long Size, DateTime ModifiedUtc);

/// <summary>Account-wide usage and quota (Swift); null fields are not set.</summary>
internal sealed record AccountUsage(long BytesUsed, long? QuotaBytes);

/// <summary>
/// One object-store API (Swift or S3) bound to one container or bucket and one set of credentials. Keys are
/// relative to the container. Every failure is a <see cref="Core.Storage.StorageException"/>; a missing
/// object is null or false where the method says so, never an exception.
/// </summary>
internal interface IObjectClient : IDisposable
{
    /// <summary>The container or bucket, for messages.</summary>
    string Container { get; }

    /// <summary>Largest part count of a segmented write (Swift SLO and s3api default to 1000).</summary>
    int MaxSegments { get; }

    /// <summary>Smallest segment but the last (S3: 5 MiB).</summary>
    int MinSegmentSize { get; }

    Task<bool> ContainerExistsAsync(CancellationToken cancellationToken);

    Task CreateContainerAsync(CancellationToken cancellationToken);

    Task<ObjectHead?> HeadAsync(string key, CancellationToken cancellationToken);

    /// <summary>The object's bytes, or null when it does not exist; more than <paramref name="maxBytes"/> fails.</summary>
    Task<byte[]?> GetSmallAsync(string key, int maxBytes, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="data"/> in one request; the store checks <paramref name="md5Hex"/> and its answered ETag is checked too.</summary>
    Task PutAsync(string key, ReadOnlyMemory<byte> data, string md5Hex, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken);

    /// <summary>The first <paramref name="count"/> bytes of an existing object (fewer when it is shorter), in one ranged GET.</summary>
    Task<byte[]> ReadHeadAsync(string key, int count, CancellationToken cancellationToken);

    /// <summary>Reads from <paramref name="offset"/> to the end; the stream's Length is the whole object's size.</summary>
    Task<Stream> OpenReadAsync(string key, long offset, CancellationToken cancellationToken);

    /// <summary>Deletes an object (with its segments when it is segmented); a missing one is fine.</summary>
    Task DeleteAsync(string key, CancellationToken cancellationToken);

    /// <summary>Every complete object under <paramref name="prefix"/>; segments of segmented objects are not listed.</summary>
    Task<IReadOnlyList<ListedObject>> ListAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>What interrupted segmented writes under <paramref name="prefix"/> left behind, one entry per object key.</summary>
    Task<IReadOnlyList<Leftover>> ListLeftoversAsync(string prefix, CancellationToken cancellationToken);

    /// <summary>Removes the leftovers of interrupted writes of <paramref name="key"/> (not the complete object's own segments).</summary>
    Task RemoveLeftoversAsync(string key, CancellationToken cancellationToken);

    Task<ISegmentedWrite> StartSegmentedAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Continues the segmented write <paramref name="writeId"/> of <paramref name="key"/> (a resumable upload, possibly
    /// started by another process) whose segments <paramref name="uploaded"/> are stored; segments numbered past them
    /// that an interrupted request left are replaced or dropped at completion.
    /// </summary>
    ISegmentedWrite ResumeSegmented(string key, string writeId, IReadOnlyList<UploadedSegment> uploaded);

    /// <summary>Swift: the account's usage and quota; S3: null (no such thing).</summary>
    Task<AccountUsage?> AccountUsageAsync(CancellationToken cancellationToken);

    Task<Uri> SignedGetAsync(string key, TimeSpan lifetime, CancellationToken cancellationToken);

    Task RotateSigningKeyAsync(bool revokeAll, CancellationToken cancellationToken);

    /// <summary>Copies <paramref name="sourceKey"/> (same container) to <paramref name="destinationKey"/> inside the store.</summary>
    Task CopyAsync(string sourceKey, string destinationKey, long size, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken);

    /// <summary>
    /// Copies <paramref name="sourceKey"/> (same container) into a new segmented write of <paramref name="destinationKey"/>
    /// inside the store, nothing visible until the write is completed: Swift one <c>X-Copy-From</c> per segment of the
    /// source's manifest (or of the whole plain object), S3 one <c>UploadPartCopy</c> per <paramref name="partSize"/>
    /// range. The answer says whether the store proved the copied bytes are the ones written at first (see
    /// <see cref="StoreCopy"/>). A failure or cancellation removes what was copied before it throws.
    /// </summary>
    Task<StoreCopy> CopySegmentsAsync(string sourceKey, string destinationKey, long size, string recordedMd5, int partSize,
        IProgress<Core.Storage.TransferProgress>? progress, CancellationToken cancellationToken);
}

/// <summary>
/// A copy inside the store, not yet visible: <see cref="Write"/> completes or aborts it. <see cref="Parts"/> are the
/// copied segments with the ETag the store answered for each (the md5 of the bytes it wrote, where the store's ETags
/// are md5s). <see cref="Proven"/>: those ETags match md5s recorded when the source was written (Swift: the source
/// manifest's segment hashes, or the image md5 for a plain object; S3: the source's ETag); <see cref="Changed"/>: they
/// contradict them (a source segment no longer holds its bytes). Neither: the store's answers cannot tell (S3 parts cut
/// differently from the source's, or ETags that are not md5s), and the caller must read the source to know.
/// </summary>
internal sealed record StoreCopy(ISegmentedWrite Write, IReadOnlyList<UploadedSegment> Parts, bool Proven, string? Changed);

/// <summary>A stored segment of a segmented write: its number (from 1), the ETag the store answered, its size.</summary>
internal sealed record UploadedSegment(int Number, string Etag, long Size);

/// <summary>One segmented write in progress (Swift SLO segments, S3 multipart upload).</summary>
internal interface ISegmentedWrite
{
    /// <summary>Swift: Stowage's write id; S3: the multipart upload id.</summary>
    string WriteId { get; }

    /// <summary>The segments stored so far, in order.</summary>
    IReadOnlyList<UploadedSegment> Uploaded { get; }

    /// <summary>
    /// Stores segment <paramref name="number"/> (from 1) whose md5 (lowercase hex) <paramref name="md5Hex"/> is being
    /// computed meanwhile. The store must prove it received exactly those bytes: Swift answers their md5 as the ETag,
    /// compared once the md5 is known (so the upload need not wait for it); S3 gets it as Content-MD5 and checks it
    /// itself (an S3 ETag is not an md5 under SSE-KMS or SSE-C, so it is not compared).
    /// </summary>
    Task UploadAsync(int number, ReadOnlyMemory<byte> data, Task<string> md5Hex, CancellationToken cancellationToken);

    /// <summary>Makes the object visible, made of every uploaded segment in order, with <paramref name="metadata"/>.</summary>
    Task CompleteAsync(IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken);

    /// <summary>Removes what was uploaded; best effort (leftovers are swept later).</summary>
    Task AbortAsync(CancellationToken cancellationToken);
}
