using System.Buffers;
using System.Globalization;
using Stowage.Core.Storage;

namespace Stowage.ObjectStore;

/// <summary>
/// Resumable uploads (<c>upload://</c>) into an object store, on the segment machinery of every write: full segments
/// are stored as the bytes arrive (Swift SLO segments, S3 multipart parts), and after each one the upload's state
/// object (<see cref="UploadState"/>) records it with the digests so far, so a request, a connection or a Stowage
/// process that dies mid-upload costs at most the segment it was storing. A piece that ends short of a segment keeps
/// the rest (the tail) in the state object. Once the last byte arrived the image is checked and made visible like
/// any write (one PUT when it never filled a segment, else the manifest or the multipart completion). A cancelled
/// upload (its image deleted, the upload dropped) removes its segments and state at once.
/// </summary>
public abstract partial class ObjectStoreDriver
{
    /// <summary>The state object's suffix, the partial-upload name the filesystem types use too.</summary>
    public const string UploadSuffix = ".stowage-upload";

    /// <summary>A state object holds at most one segment (at most 1 GiB) of tail besides its JSON.</summary>
    private const int MaxStateBytes = (1 << 30) + (1 << 20);

    public async Task<long> GetUploadedSizeAsync(BackupStorageTarget target, string installPath, CancellationToken cancellationToken)
    {
        var (client, location) = Open(target);
        var head = await client.HeadAsync(location.KeyOf(target, installPath) + UploadSuffix, cancellationToken);
        return head?.Metadata.GetValueOrDefault(UploadState.ReceivedMeta) is { } text
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var received) ? received : 0;
    }

    public async Task<UploadChunk> WriteUploadChunkAsync(BackupStorageTarget target, Stream source, string installPath, long offset, long total, ImageExpectations expect, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(expect);
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var (client, location) = Open(target);
        var key = location.KeyOf(target, installPath);
        var (state, tail) = await StartPieceAsync(target, client, key, offset, total, cancellationToken);
        var segmentSize = state.SegmentSize;
        var current = ArrayPool<byte>.Shared.Rent(segmentSize);
        var next = ArrayPool<byte>.Shared.Rent(segmentSize);
        tail.CopyTo(current, 0);
        var filled = tail.Length;
        var hashedFrom = tail.Length;
        var received = offset;
        var write = state.WriteId is null ? null : client.ResumeSegmented(key, state.WriteId, state.Segments);
        var inflight = Task.CompletedTask;
        try
        {
            while (true)
            {
                var room = (int)Math.Min(segmentSize - filled, total - received);
                var (read, ended) = await ReadUpToAsync(source, current, filled, room, cancellationToken);
                filled += read;
                received += read;
                if (filled == segmentSize && received < total)
                {
                    // The previous segment must be stored (and its buffer free) before this one goes: two buffers, in order.
                    await inflight;
                    write ??= await client.StartSegmentedAsync(key, cancellationToken);
                    state.WriteId = write.WriteId;
                    inflight = StoreSegmentAsync(client, write, key, state, current, hashedFrom, cancellationToken);
                    (current, next) = (next, current);
                    filled = 0;
                    hashedFrom = 0;
                }

                if (ended || received == total)
                {
                    break;
                }
            }

            await inflight;
            HashRange(state, current, hashedFrom, filled);
            if (received < total)
            {
                // The piece ended (or the client went away): what arrived past the last segment waits in the state.
                await SaveStateAsync(client, key, state, current.AsSpan(0, filled), cancellationToken);
                return new UploadChunk(received, null);
            }

            var (md5, sha256) = state.Digest.Current();
            var facts = Verify(installPath, expect with { Size = total }, total, md5, sha256, state.Header);
            if (write is null)
            {
                await client.PutAsync(key, current.AsMemory(0, filled), Checksums.Md5Hex(current.AsSpan(0, filled)), Metadata(facts), cancellationToken);
            }
            else
            {
                if (filled > 0)
                {
                    await write.UploadAsync(state.Segments.Count + 1, current.AsMemory(0, filled), Task.FromResult(Checksums.Md5Hex(current.AsSpan(0, filled))), cancellationToken);
                }

                await write.CompleteAsync(Metadata(facts), cancellationToken);
            }

            await ForgetStateAsync(target, client, key);
            return new UploadChunk(total, facts);
        }
        catch (Exception e) when (e is OperationCanceledException || (e is StorageException { Failure: StorageFailure.SourceFailed } && received == total))
        {
            // Cancelled (the image deleted, the upload dropped) or the finished bytes did not verify: the upload is over.
            await Task.WhenAny(inflight);
            await DropUploadQuietlyAsync(target, client, key, e);
            throw;
        }
        finally
        {
            // No segment upload may still read a buffer once it goes back to the pool.
            await Task.WhenAny(inflight);
            ArrayPool<byte>.Shared.Return(current);
            ArrayPool<byte>.Shared.Return(next);
        }
    }

    /// <summary>
    /// Moves a finished image (an ISO uploaded as a template goes to the iso folder): an object store cannot rename, so
    /// the store copies it (<see cref="IObjectClient.CopyAsync"/>, segment by segment for a large one) and the old
    /// folder goes. A failed copy leaves the image where it was.
    /// </summary>
    public async Task<bool> MoveImageAsync(BackupStorageTarget target, string from, string to, CancellationToken cancellationToken)
    {
        var (client, location) = Open(target);
        var fromKey = location.KeyOf(target, from);
        var toKey = location.KeyOf(target, to);
        var head = await client.HeadAsync(fromKey, cancellationToken)
            ?? throw Fail(target, new StorageException(StorageFailure.SourceFailed, $"{from} does not exist in container {location.Container}"));
        var kept = head.Metadata.Where(m => m.Key is MetaMd5 or MetaSha256).ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal);
        await client.CopyAsync(fromKey, toKey, head.Size, kept, cancellationToken);
        if ((await client.HeadAsync(toKey, cancellationToken))?.Size != head.Size)
        {
            await DeleteUnderAsync(client, toKey[..(toKey.LastIndexOf('/') + 1)], CancellationToken.None);
            throw Fail(target, new StorageException(StorageFailure.CommandFailed, $"the copy of {from} to {to} is not {head.Size} bytes"));
        }

        await DeleteImageAsync(target, from, cancellationToken);
        return true;
    }

    /// <summary>
    /// The state to continue: a new one at offset 0 (an earlier start's state and segments are dropped first), else
    /// the stored one, which must hold exactly <paramref name="offset"/> bytes of an upload of <paramref name="total"/>.
    /// </summary>
    private async Task<(UploadState State, byte[] Tail)> StartPieceAsync(BackupStorageTarget target, IObjectClient client, string key, long offset, long total, CancellationToken ct)
    {
        if (offset == 0)
        {
            await DropUploadAsync(client, key, ct);
            return (new UploadState { SegmentSize = SegmentSize(target, client, total), Total = total, Digest = new ResumableDigest() }, []);
        }

        var bytes = await client.GetSmallAsync(key + UploadSuffix, MaxStateBytes, ct);
        if ((bytes is null ? null : UploadState.Parse(bytes)) is not { } parsed)
        {
            throw Fail(target, new StorageException(StorageFailure.SourceFailed, $"backup storage {target.Uuid} holds no partial upload of {key} to continue at byte {offset}"));
        }

        if (parsed.State.Digest.Bytes != offset || parsed.State.Total != total)
        {
            throw Fail(target, new StorageException(StorageFailure.SourceFailed,
                $"the partial upload of {key} holds {parsed.State.Digest.Bytes} of {parsed.State.Total} bytes, not the offset {offset} of {total} of this piece"));
        }

        return parsed;
    }

    /// <summary>
    /// Stores one full segment while it is hashed (the image's digests and the segment's own md5 on other cores) and
    /// the next one is read, then records it in the state object, whose digests then cover exactly the stored segments.
    /// </summary>
    private static async Task StoreSegmentAsync(IObjectClient client, ISegmentedWrite write, string key, UploadState state, byte[] buffer, int hashedFrom, CancellationToken ct)
    {
        var count = state.SegmentSize;
        using var drain = new DrainToken(ct);
        var own = Task.Run(() => Checksums.Md5Hex(buffer.AsSpan(0, count)), CancellationToken.None);
        var hashing = Task.Run(() => HashRange(state, buffer, hashedFrom, count), CancellationToken.None);
        var upload = write.UploadAsync(state.Segments.Count + 1, buffer.AsMemory(0, count), own, drain.Token);
        try
        {
            await upload;
        }
        finally
        {
            await Task.WhenAll(Task.WhenAny(hashing), Task.WhenAny(own));
        }

        await hashing;
        state.Segments = [.. write.Uploaded];
        await SaveStateAsync(client, key, state, [], drain.Token);
    }

    /// <summary>Adds buffer[from..to) to the digests (md5 and sha256 side by side) and keeps the image's first bytes.</summary>
    private static void HashRange(UploadState state, byte[] buffer, int from, int to)
    {
        if (to <= from)
        {
            return;
        }

        if (state.Header.Length < HeaderBytes)
        {
            var n = Math.Min(HeaderBytes - state.Header.Length, to - from);
            state.Header = [.. state.Header, .. buffer.AsSpan(from, n)];
        }

        var md5 = Task.Run(() => state.Digest.AppendMd5(buffer.AsSpan(from, to - from)));
        state.Digest.AppendSha256(buffer.AsSpan(from, to - from));
        md5.GetAwaiter().GetResult();
    }

    private static Task SaveStateAsync(IObjectClient client, string key, UploadState state, ReadOnlySpan<byte> tail, CancellationToken ct)
    {
        var data = state.Serialize(tail);
        return client.PutAsync(key + UploadSuffix, data, Checksums.Md5Hex(data), state.Metadata(), ct);
    }

    /// <summary>Reads until <paramref name="count"/> bytes arrived or the source ended; a source that broke off counts as ended.</summary>
    private static async Task<(int Read, bool Ended)> ReadUpToAsync(Stream source, byte[] buffer, int at, int count, CancellationToken ct)
    {
        var read = 0;
        try
        {
            while (read < count)
            {
                var n = await source.ReadAsync(buffer.AsMemory(at + read, count - read), ct);
                if (n == 0)
                {
                    return (read, true);
                }

                read += n;
            }
        }
        catch (IOException)
        {
            // The client went away mid-body: keep what arrived, as a disk keeps a partial file.
            return (read, true);
        }

        return (read, false);
    }

    /// <summary>The state object and every segment of the key that no complete object owns (an earlier start included).</summary>
    private static async Task DropUploadAsync(IObjectClient client, string key, CancellationToken ct)
    {
        await client.DeleteAsync(key + UploadSuffix, ct);
        await client.RemoveLeftoversAsync(key, ct);
    }

    private async Task DropUploadQuietlyAsync(BackupStorageTarget target, IObjectClient client, string key, Exception cause)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await DropUploadAsync(client, key, cts.Token);
        }
        catch (Exception e) when (e is StorageException or OperationCanceledException)
        {
            Log.AbortFailed(Logger, target.Uuid, key, $"{e.Message}; the upload ended with: {cause.Message}");
        }
    }

    /// <summary>The image is complete: its state object goes (on a token of its own: the image exists either way).</summary>
    private async Task ForgetStateAsync(BackupStorageTarget target, IObjectClient client, string key)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await client.DeleteAsync(key + UploadSuffix, cts.Token);
        }
        catch (Exception e) when (e is StorageException or OperationCanceledException)
        {
            Log.AbortFailed(Logger, target.Uuid, key + UploadSuffix, e.Message);
        }
    }
}
