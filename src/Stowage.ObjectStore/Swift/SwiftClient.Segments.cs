using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stowage.Core.Storage;

namespace Stowage.ObjectStore.Swift;

/// <summary>
/// A segment's key: <c>&lt;object key&gt;.segments/&lt;write id&gt;/&lt;number&gt;</c>, in the same container next to the
/// object, so a folder delete takes them too. The manifest names its write id in <c>X-Object-Meta-Stowage-Write</c>;
/// segments of any other write id of that key are leftovers of an interrupted write.
/// </summary>
internal sealed record SegmentName(string ObjectKey, string WriteId, int Number)
{
    private const string Marker = ".segments/";

    public static string Of(string objectKey, string writeId, int number) => $"{objectKey}{Marker}{writeId}/{number:D6}";

    public static string PrefixOf(string objectKey) => objectKey + Marker;

    public static SegmentName? Parse(string key)
    {
        var at = key.LastIndexOf(Marker, StringComparison.Ordinal);
        if (at <= 0)
        {
            return null;
        }

        var rest = key[(at + Marker.Length)..].Split('/');
        return rest.Length == 2 && rest[0].Length == 32 && rest[0].All(char.IsAsciiHexDigitLower)
            && rest[1].Length == 6 && int.TryParse(rest[1], NumberStyles.None, CultureInfo.InvariantCulture, out var n)
            ? new SegmentName(key[..at], rest[0], n)
            : null;
    }
}

internal sealed partial class SwiftClient
{
    private const string WriteMeta = "stowage-write";

    public Task<ISegmentedWrite> StartSegmentedAsync(string key, CancellationToken cancellationToken) =>
        Task.FromResult<ISegmentedWrite>(new SloWrite(this, key, Guid.NewGuid().ToString("N")));

    public ISegmentedWrite ResumeSegmented(string key, string writeId, IReadOnlyList<UploadedSegment> uploaded)
    {
        var write = new SloWrite(this, key, writeId) { Resumed = true };
        foreach (var s in uploaded)
        {
            write.Record(s.Number, s.Etag, s.Size);
        }

        return write;
    }

    public async Task<IReadOnlyList<Leftover>> ListLeftoversAsync(string prefix, CancellationToken cancellationToken)
    {
        var all = await ListRawAsync(prefix, cancellationToken);
        var objects = all.Where(o => SegmentName.Parse(o.Key) is null).ToDictionary(o => o.Key, o => o.Manifest, StringComparer.Ordinal);
        var result = new List<Leftover>();
        foreach (var byKey in all.Select(o => (o, s: SegmentName.Parse(o.Key))).Where(x => x.s is not null).GroupBy(x => x.s!.ObjectKey, StringComparer.Ordinal))
        {
            var live = objects.TryGetValue(byKey.Key, out var manifest) && manifest ? await LiveWriteAsync(byKey.Key, cancellationToken) : null;
            var stale = byKey.Where(x => x.s!.WriteId != live).ToList();
            if (stale.Count > 0)
            {
                result.Add(new Leftover(byKey.Key, stale.Sum(x => x.o.Size), stale.Max(x => x.o.ModifiedUtc)));
            }
        }

        return result;
    }

    public async Task RemoveLeftoversAsync(string key, CancellationToken cancellationToken)
    {
        var segments = (await ListRawAsync(SegmentName.PrefixOf(key), cancellationToken)).Where(o => SegmentName.Parse(o.Key)?.ObjectKey == key).ToList();
        if (segments.Count == 0)
        {
            return;
        }

        var live = await LiveWriteAsync(key, cancellationToken);
        foreach (var s in segments.Where(s => SegmentName.Parse(s.Key)!.WriteId != live))
        {
            using var response = await SendAsync(HttpMethod.Delete, ObjectPath(s.Key), cancellationToken, okIfMissing: true);
        }
    }

    /// <summary>
    /// A manifest is copied segment by segment (each an <c>X-Copy-From</c> inside the store) under a new write id,
    /// then a new manifest; a plain object with one <c>X-Copy-From</c>. Copying a manifest whole would make one
    /// object limited to the store's maximum object size, and sharing the segments would let a delete of either
    /// copy break the other.
    /// </summary>
    public async Task CopyAsync(string sourceKey, string destinationKey, long size, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        var head = await HeadAsync(sourceKey, cancellationToken) ?? throw new StorageException(StorageFailure.SourceFailed, $"object {sourceKey} does not exist in container {container}");
        if (!head.Segmented)
        {
            using var plain = await SendAsync(HttpMethod.Put, ObjectPath(destinationKey), cancellationToken, configure: r =>
            {
                r.Content = new ByteArrayContent([]);
                r.Headers.TryAddWithoutValidation("X-Copy-From", ObjectPath(sourceKey));
                AddMetadata(r, metadata);
            });
            return;
        }

        using var response = await SendAsync(HttpMethod.Get, ObjectPath(sourceKey) + "?multipart-manifest=get", cancellationToken);
        var manifest = JsonNode.Parse(await Guard(() => response.Content.ReadAsStringAsync(cancellationToken), cancellationToken)) as JsonArray
            ?? throw new StorageException(StorageFailure.SourceFailed, $"the manifest of {sourceKey} is not a JSON list");
        var write = new SloWrite(this, destinationKey, Guid.NewGuid().ToString("N"));
        try
        {
            var number = 0;
            foreach (var segment in manifest.OfType<JsonObject>())
            {
                number++;
                var path = (string?)segment["name"] ?? throw new StorageException(StorageFailure.SourceFailed, $"the manifest of {sourceKey} names no segment path");
                var hash = (string?)segment["hash"] ?? string.Empty;
                var bytes = (long?)segment["bytes"] ?? 0;
                await write.CopySegmentAsync(number, path, hash, bytes, cancellationToken);
            }

            await write.CompleteAsync(metadata, cancellationToken);
        }
        catch
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await write.AbortAsync(cts.Token);
            throw;
        }
    }

    /// <summary>
    /// Each segment of the source's manifest (a plain source: the object itself) is copied with <c>X-Copy-From</c> into a
    /// segment of a new write. Swift's copy sends the source's stored ETag with the copied bytes, so the object server
    /// refuses (422) bytes that rotted on its disk, and it answers the md5 of what it wrote: that must be the md5 the
    /// manifest recorded for the segment when Stowage wrote it (the md5 Stowage computed of the same bytes it hashed
    /// for the image's md5 and sha256), or for a plain object the image's recorded md5. The new manifest names those
    /// etags again, so SLO checks every segment once more when it is PUT.
    /// </summary>
    public async Task<StoreCopy> CopySegmentsAsync(string sourceKey, string destinationKey, long size, string recordedMd5, int partSize,
        IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        var head = await HeadAsync(sourceKey, cancellationToken) ?? throw new StorageException(StorageFailure.SourceFailed, $"object {sourceKey} does not exist in container {container}");
        var sources = new List<(string Path, string Recorded, long Bytes)>();
        if (head.Segmented)
        {
            using var response = await SendAsync(HttpMethod.Get, ObjectPath(sourceKey) + "?multipart-manifest=get", cancellationToken);
            var manifest = JsonNode.Parse(await Guard(() => response.Content.ReadAsStringAsync(cancellationToken), cancellationToken)) as JsonArray
                ?? throw new StorageException(StorageFailure.SourceFailed, $"the manifest of {sourceKey} is not a JSON list");
            foreach (var segment in manifest.OfType<JsonObject>())
            {
                sources.Add(((string?)segment["name"] ?? throw new StorageException(StorageFailure.SourceFailed, $"the manifest of {sourceKey} names no segment path"),
                    ((string?)segment["hash"] ?? string.Empty).ToLowerInvariant(), (long?)segment["bytes"] ?? 0));
            }
        }
        else
        {
            sources.Add(("/" + container + "/" + sourceKey, recordedMd5.ToLowerInvariant(), head.Size));
        }

        var write = new SloWrite(this, destinationKey, Guid.NewGuid().ToString("N"));
        var runner = new StoreCopyRunner(progress);
        try
        {
            await StoreCopyRunner.RunAsync(sources.Count, async i =>
            {
                var (path, recorded, bytes) = sources[i];
                var etag = await write.CopySegmentAsync(i + 1, path, bytes, CancellationToken.None);
                if (etag != recorded)
                {
                    throw new SegmentChangedException($"segment {i + 1} of {sources.Count} ({bytes} bytes) now hashes to md5 {etag}, not the {recorded} recorded when it was written");
                }

                runner.Copied(bytes);
            }, cancellationToken);
            return new StoreCopy(write, write.Uploaded, true, null);
        }
        catch (SegmentChangedException e)
        {
            // Not a failure of the store: the driver refuses the copy as the source's fault, then aborts it.
            return new StoreCopy(write, write.Uploaded, false, e.Message);
        }
        catch (StorageException e) when (e.Message.Contains(" answered 422", StringComparison.Ordinal))
        {
            await AbortQuietlyAsync(write);
            throw new StorageException(StorageFailure.SourceFailed, $"the store refused to copy a segment of {sourceKey} whose bytes no longer match its stored ETag: {e.Message}", e);
        }
        catch
        {
            await AbortQuietlyAsync(write);
            throw;
        }
    }

    private sealed class SegmentChangedException(string message) : Exception(message);

    private static async Task AbortQuietlyAsync(ISegmentedWrite write)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await write.AbortAsync(cts.Token);
        }
        catch (Exception e) when (e is StorageException or OperationCanceledException)
        {
            // Best effort: what is left is a leftover of a write id no manifest names, which the sweeper removes.
        }
    }

    private async Task<string?> LiveWriteAsync(string key, CancellationToken ct) =>
        (await HeadAsync(key, ct))?.Metadata.GetValueOrDefault(WriteMeta);

    /// <summary>One SLO write: numbered segments, then the manifest that makes the object visible.</summary>
    private sealed class SloWrite(SwiftClient client, string key, string writeId) : ISegmentedWrite
    {
        private readonly SortedDictionary<int, (string Path, string Etag, long Size)> _done = [];

        public string WriteId => writeId;

        /// <summary>Continued from an earlier request, which may have left segments past the recorded ones.</summary>
        public bool Resumed { get; init; }

        public IReadOnlyList<UploadedSegment> Uploaded
        {
            get
            {
                lock (_done)
                {
                    return [.. _done.Select(p => new UploadedSegment(p.Key, p.Value.Etag, p.Value.Size))];
                }
            }
        }

        public void Record(int number, string etag, long size)
        {
            lock (_done)
            {
                _done[number] = ("/" + client.Container + "/" + SegmentName.Of(key, writeId, number), etag, size);
            }
        }

        public async Task UploadAsync(int number, ReadOnlyMemory<byte> data, Task<string> md5Hex, CancellationToken cancellationToken)
        {
            var name = SegmentName.Of(key, writeId, number);
            using var response = await client.SendAsync(HttpMethod.Put, client.ObjectPath(name), cancellationToken, configure: r => r.Content = new ReadOnlyMemoryContent(data));
            var md5 = await md5Hex;
            client.CheckEtag(response, md5, name);
            Record(number, md5, data.Length);
        }

        public async Task CopySegmentAsync(int number, string sourcePath, string hash, long size, CancellationToken ct)
        {
            var etag = await CopySegmentAsync(number, sourcePath, size, ct);
            if (!string.Equals(etag, hash, StringComparison.OrdinalIgnoreCase))
            {
                throw new StorageException(StorageFailure.CommandFailed, $"container {client.Container} copied segment {number} of {key} with ETag {etag}, not {hash}");
            }
        }

        /// <summary>Copies one segment inside the store and answers the ETag the store gave it (the md5 of the bytes it wrote).</summary>
        public async Task<string> CopySegmentAsync(int number, string sourcePath, long size, CancellationToken ct)
        {
            var name = SegmentName.Of(key, writeId, number);
            var from = string.Join('/', sourcePath.Split('/').Select(Uri.EscapeDataString));
            using var response = await client.SendAsync(HttpMethod.Put, client.ObjectPath(name), ct, configure: r =>
            {
                r.Content = new ByteArrayContent([]);
                r.Headers.TryAddWithoutValidation("X-Copy-From", from);
            });
            var etag = Etag(response) ?? throw new StorageException(StorageFailure.CommandFailed, $"container {client.Container} copied {name} without an ETag");
            Record(number, etag, size);
            return etag;
        }

        public async Task CompleteAsync(IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
        {
            var manifest = new JsonArray([.. _done.Values.Select(s => new JsonObject { ["path"] = s.Path, ["etag"] = s.Etag, ["size_bytes"] = s.Size })]);
            var meta = new Dictionary<string, string>(metadata, StringComparer.Ordinal) { [WriteMeta] = writeId };
            using var response = await client.SendAsync(HttpMethod.Put, client.ObjectPath(key) + "?multipart-manifest=put", cancellationToken, configure: r =>
            {
                r.Content = JsonContent.Create(manifest, options: JsonSerializerOptions.Default);
                AddMetadata(r, meta);
            });
            if (Resumed)
            {
                // An earlier request cut off mid-way may have stored segments past the ones the manifest names.
                var named = _done.Keys.ToHashSet();
                foreach (var s in await client.ListRawAsync(SegmentName.PrefixOf(key) + writeId + "/", cancellationToken))
                {
                    if (SegmentName.Parse(s.Key) is { } n && !named.Contains(n.Number))
                    {
                        using var gone = await client.SendAsync(HttpMethod.Delete, client.ObjectPath(s.Key), cancellationToken, okIfMissing: true);
                    }
                }
            }
        }

        /// <summary>Every segment of this write id, also one whose upload was cut off before it was recorded.</summary>
        public async Task AbortAsync(CancellationToken cancellationToken)
        {
            foreach (var s in await client.ListRawAsync(SegmentName.PrefixOf(key) + writeId + "/", cancellationToken))
            {
                using var response = await client.SendAsync(HttpMethod.Delete, client.ObjectPath(s.Key), cancellationToken, okIfMissing: true);
            }
        }
    }
}
