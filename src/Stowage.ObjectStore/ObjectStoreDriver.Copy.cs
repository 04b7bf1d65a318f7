using System.Buffers;
using System.Security.Cryptography;
using Stowage.Core.Storage;

namespace Stowage.ObjectStore;

/// <summary>
/// Copies inside one store (<see cref="IServerSideCopy"/>): the store copies the bytes, and the copy takes over the
/// source's recorded md5 and sha256 only once it is proven to hold the bytes those were computed over, without
/// Stowage reading them. The proof is the store's own hashing: every copied segment (part) is written anew by the
/// store, which answers the md5 of what it wrote, and that md5 must be one recorded when the source was written by
/// Stowage from the same bytes it hashed for the image's digests: Swift, the segment hashes of the source's manifest
/// (or the image's md5 for a plain object); S3, the image's md5 (one part) or the source's multipart ETag, which is
/// the md5 of its parts' md5s. Where the store's answers cannot prove it (an S3 source cut into parts differently, or
/// ETags that are not md5s), Stowage reads the source once, as a verification does, and compares each copied part's
/// md5 with the bytes it read; where even that cannot work (ETags that are not md5s) the copy is refused with
/// <see cref="StorageFailure.SourceUnreachable"/>, so the caller streams it instead. A source found changed fails the
/// copy with <see cref="StorageFailure.SourceFailed"/>. Nothing is visible before the proof: the new segments or parts
/// become an object only when the manifest is PUT or the upload completed, and a failure removes them.
/// </summary>
public abstract partial class ObjectStoreDriver
{
    public async Task<ImageFileFacts> CopyWithinStoreAsync(
        BackupStorageTarget target, StoredCopy source, string installPath, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (!SameStore(source.Storage, target))
        {
            throw new StorageException(StorageFailure.BadLocation, $"backup storages {source.Storage.Uuid} and {target.Uuid} are not in the same store");
        }

        var (client, location) = Open(target);
        var (_, sourceLocation) = Open(source.Storage);
        var sourceKey = sourceLocation.KeyOf(source.Storage, source.InstallPath);
        var key = location.KeyOf(target, installPath);
        var head = await client.HeadAsync(sourceKey, cancellationToken)
            ?? throw new StorageException(StorageFailure.SourceFailed, $"{source.InstallPath} does not exist in container {location.Container}");
        if (source.Expect.Size is { } size && size != head.Size)
        {
            throw new StorageException(StorageFailure.SourceFailed, $"{source.InstallPath} has {head.Size} bytes, not the {size} recorded: checksum mismatch");
        }

        var md5 = source.Expect.Md5 ?? head.Metadata.GetValueOrDefault(MetaMd5);
        var sha256 = source.Expect.Sha256 ?? head.Metadata.GetValueOrDefault(MetaSha256);
        if (md5 is null || sha256 is null)
        {
            throw new StorageException(StorageFailure.SourceFailed, $"{source.InstallPath} has no recorded checksums to carry over");
        }

        // The header for format and virtual size: the first bytes of the source, one ranged read.
        var header = head.Size == 0 ? [] : await client.ReadHeadAsync(sourceKey, (int)Math.Min(ImageHeader.Needed, head.Size), cancellationToken);

        var (format, virtualSize) = ImageHeader.Probe(header, head.Size);
        var facts = new ImageFileFacts(installPath, head.Size, virtualSize, format, md5, sha256);
        if (head.Size == 0)
        {
            // Nothing to copy and nothing to prove but the recorded md5 of no bytes.
            Verify(installPath, source.Expect with { Md5 = md5, Sha256 = sha256 }, 0, Checksums.Md5Hex([]), Convert.ToHexStringLower(SHA256.HashData([])), []);
            await client.PutAsync(key, ReadOnlyMemory<byte>.Empty, Checksums.Md5Hex([]), Metadata(facts), cancellationToken);
            return facts;
        }

        StoreCopy copy;
        try
        {
            copy = await client.CopySegmentsAsync(sourceKey, key, head.Size, md5, SegmentSize(source.Storage, client, head.Size), progress, cancellationToken);
        }
        catch (StorageException e) when (e.Failure is not (StorageFailure.SourceFailed or StorageFailure.NoSpace or StorageFailure.AuthenticationFailed))
        {
            // The store could not copy a part: an S3 range across a segment that changed ends early, like a broken read.
            await ThrowIfSourceDamagedAsync(source, facts, e, cancellationToken);
            throw;
        }

        try
        {
            if (copy.Changed is { } why)
            {
                throw new StorageException(StorageFailure.SourceFailed,
                    $"{source.InstallPath} no longer holds the bytes it was written with: {why} (checksum mismatch)");
            }

            if (!copy.Proven)
            {
                await ProveByReadingAsync(client, sourceKey, source, facts, copy.Parts, cancellationToken);
            }

            await copy.Write.CompleteAsync(Metadata(facts), cancellationToken);
        }
        catch (Exception e)
        {
            await AbortAsync(target, copy.Write, key, e);
            throw;
        }

        await RemoveStaleLeftoversAsync(target, client, key);
        progress?.Report(new TransferProgress(head.Size));
        return facts;
    }

    /// <summary>
    /// Reads the source once (md5 and sha256 of the whole, md5 of each copied part's range): the source must be what was
    /// recorded, and each part the store copied must hash as the same range read here.
    /// </summary>
    private async Task ProveByReadingAsync(IObjectClient client, string sourceKey, StoredCopy source, ImageFileFacts facts, IReadOnlyList<UploadedSegment> parts, CancellationToken ct)
    {
        var copied = parts.Select(p => p.Etag.Trim().Trim('"').ToLowerInvariant()).ToList();
        if (!copied.All(e => e.Length == 32 && e.All(char.IsAsciiHexDigitLower)))
        {
            throw new StorageException(StorageFailure.SourceUnreachable,
                $"the store's ETags of copied parts are not md5s (server-side encryption?), so it cannot prove a copy of {source.InstallPath}");
        }

        using var whole = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        using var part = IncrementalHash.CreateHash(HashAlgorithmName.MD5);
        var read = new List<string>();
        var buffer = ArrayPool<byte>.Shared.Rent(1024 * 1024);
        long total = 0;
        try
        {
            await using var stream = await client.OpenReadAsync(sourceKey, 0, ct);
            var index = 0;
            long left = parts.Count > 0 ? parts[0].Size : 0;
            int n;
            while ((n = await stream.ReadAsync(buffer, ct)) > 0)
            {
                whole.AppendData(buffer, 0, n);
                sha.AppendData(buffer, 0, n);
                total += n;
                for (var at = 0; at < n;)
                {
                    var take = (int)Math.Min(n - at, left);
                    part.AppendData(buffer, at, take);
                    at += take;
                    left -= take;
                    if (left == 0 && index < parts.Count)
                    {
                        read.Add(Convert.ToHexStringLower(part.GetHashAndReset()));
                        left = ++index < parts.Count ? parts[index].Size : long.MaxValue;
                    }
                }
            }
        }
        catch (ObjectReadStream.StorageIOException e) when (e.InnerException is StorageException broken)
        {
            await ThrowIfSourceDamagedAsync(source, facts, broken, ct);
            throw broken;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }

        Verify(source.InstallPath, new ImageExpectations(facts.ActualSize, facts.Md5, facts.Sha256), total,
            Convert.ToHexStringLower(whole.GetCurrentHash()), Convert.ToHexStringLower(sha.GetCurrentHash()), []);
        if (!read.SequenceEqual(copied))
        {
            throw new StorageException(StorageFailure.CommandFailed, $"the store's copy of {source.InstallPath} does not hash as the source read back: the copy is dropped");
        }
    }

    /// <summary>After a failed copy: when the source does not verify against its recorded digests, that is the reason (SourceFailed).</summary>
    private async Task ThrowIfSourceDamagedAsync(StoredCopy source, ImageFileFacts facts, StorageException cause, CancellationToken ct)
    {
        StoredFileCheck check;
        try
        {
            check = await VerifyStoredFileAsync(source.Storage, source.InstallPath, () => 0, null, ct);
        }
        catch (StorageException)
        {
            return;
        }

        var problem = check.Missing ? "it is gone"
            : check.Unreadable ?? (check.Size != facts.ActualSize || check.Md5 != facts.Md5 || check.Sha256 != facts.Sha256
                ? $"it reads back as {check.Size} bytes with sha256 {check.Sha256}, not {facts.ActualSize} bytes with sha256 {facts.Sha256}" : null);
        if (problem is not null)
        {
            throw new StorageException(StorageFailure.SourceFailed, $"{source.InstallPath} does not verify: {problem} (checksum mismatch)", cause);
        }
    }
}
