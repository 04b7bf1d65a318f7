using System.Globalization;
using System.Net;
using System.Text.Json;
using Stowage.Core.Storage;

namespace Stowage.ObjectStore.Swift;

/// <summary>
/// Swift's object API over <see cref="HttpClient"/> for one container. Every request carries the cached token;
/// a 401 renews it and the request is sent once more (every body here is in memory, so it can be resent).
/// </summary>
internal sealed partial class SwiftClient(HttpClient http, SwiftAuth auth, BackupStorageTarget target, string container) : IObjectClient
{
    private const string MetaPrefix = "X-Object-Meta-";

    public string Container => container;

    public int MaxSegments => 1000;

    public int MinSegmentSize => 1024 * 1024;

    public SwiftAuth Auth => auth;

    public async Task<bool> ContainerExistsAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Head, ContainerPath(), cancellationToken, okIfMissing: true);
        return response.StatusCode != HttpStatusCode.NotFound;
    }

    public async Task CreateContainerAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Put, ContainerPath(), cancellationToken);
    }

    public async Task<ObjectHead?> HeadAsync(string key, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Head, ObjectPath(key), cancellationToken, okIfMissing: true);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var (name, values) in response.Headers)
        {
            if (name.StartsWith(MetaPrefix, StringComparison.OrdinalIgnoreCase))
            {
                meta[name[MetaPrefix.Length..].ToLowerInvariant()] = values.First();
            }
        }

        var segmented = response.Headers.TryGetValues("X-Static-Large-Object", out var slo) && string.Equals(slo.First(), "true", StringComparison.OrdinalIgnoreCase);
        return new ObjectHead(response.Content.Headers.ContentLength ?? 0, meta, segmented);
    }

    public async Task<byte[]?> GetSmallAsync(string key, int maxBytes, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, ObjectPath(key), cancellationToken, okIfMissing: true, streamed: true);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }

        if (response.Content.Headers.ContentLength > maxBytes)
        {
            throw new StorageException(StorageFailure.CommandFailed, $"object {key} in container {container} is larger than {maxBytes} bytes");
        }

        return await Guard(() => response.Content.ReadAsByteArrayAsync(cancellationToken), cancellationToken);
    }

    public async Task PutAsync(string key, ReadOnlyMemory<byte> data, string md5Hex, IReadOnlyDictionary<string, string> metadata, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Put, ObjectPath(key), cancellationToken, configure: r =>
        {
            r.Content = new ReadOnlyMemoryContent(data);
            r.Headers.TryAddWithoutValidation("ETag", md5Hex);
            AddMetadata(r, metadata);
        });
        CheckEtag(response, md5Hex, key);
    }

    public async Task<byte[]> ReadHeadAsync(string key, int count, CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Get, ObjectPath(key), cancellationToken, configure: r => r.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(0, count - 1));
        return response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable ? [] : await Guard(() => response.Content.ReadAsByteArrayAsync(cancellationToken), cancellationToken);
    }

    public async Task<Stream> OpenReadAsync(string key, long offset, CancellationToken cancellationToken)
    {
        var response = await SendAsync(HttpMethod.Get, ObjectPath(key), cancellationToken, okIfMissing: true, streamed: true, configure: r =>
        {
            if (offset > 0)
            {
                r.Headers.Range = new System.Net.Http.Headers.RangeHeaderValue(offset, null);
            }
        });
        try
        {
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                throw new StorageException(StorageFailure.CommandFailed, $"object {key} does not exist in container {container}");
            }

            if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable)
            {
                // Reading from the very end: nothing left, but the caller still needs the size.
                var size = response.Content.Headers.ContentRange?.Length ?? offset;
                response.Dispose();
                return new ObjectReadStream(Stream.Null, size, null);
            }

            var total = response.Content.Headers.ContentRange?.Length ?? response.Content.Headers.ContentLength ?? 0;
            var body = await Guard(() => response.Content.ReadAsStreamAsync(cancellationToken), cancellationToken);
            return new ObjectReadStream(body, total, response);
        }
        catch
        {
            response.Dispose();
            throw;
        }
    }

    public async Task DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var head = await HeadAsync(key, cancellationToken);
        if (head is null)
        {
            return;
        }

        // A manifest goes with its segments; a plain object is just deleted.
        using var response = await SendAsync(HttpMethod.Delete, ObjectPath(key) + (head.Segmented ? "?multipart-manifest=delete" : string.Empty), cancellationToken, okIfMissing: true);
    }

    public async Task<IReadOnlyList<ListedObject>> ListAsync(string prefix, CancellationToken cancellationToken)
    {
        var all = await ListRawAsync(prefix, cancellationToken);
        return [.. all.Where(o => SegmentName.Parse(o.Key) is null).Select(o => new ListedObject(o.Key, o.Size, o.ModifiedUtc))];
    }

    public async Task<AccountUsage?> AccountUsageAsync(CancellationToken cancellationToken)
    {
        using var response = await SendAsync(HttpMethod.Head, string.Empty, cancellationToken);
        long? Read(string name) => response.Headers.TryGetValues(name, out var v)
            && long.TryParse(v.First(), NumberStyles.None, CultureInfo.InvariantCulture, out var n) ? n : null;
        return new AccountUsage(Read("X-Account-Bytes-Used") ?? 0, Read("X-Account-Meta-Quota-Bytes"));
    }

    /// <summary>The HttpClient is the driver's; the auth (and its cached token) is ours.</summary>
    public void Dispose() => auth.Dispose();

    /// <summary>Every object under the prefix as the listing gives it, page after page.</summary>
    private async Task<List<(string Key, long Size, DateTime ModifiedUtc, bool Manifest)>> ListRawAsync(string prefix, CancellationToken ct)
    {
        var result = new List<(string, long, DateTime, bool)>();
        var marker = string.Empty;
        while (true)
        {
            var query = $"?format=json&limit=10000&prefix={Uri.EscapeDataString(prefix)}&marker={Uri.EscapeDataString(marker)}";
            using var response = await SendAsync(HttpMethod.Get, ContainerPath() + query, ct, okIfMissing: true);
            if (response.StatusCode == HttpStatusCode.NotFound)
            {
                throw new StorageException(StorageFailure.BadLocation, $"container {container} does not exist");
            }

            var text = await Guard(() => response.Content.ReadAsStringAsync(ct), ct);
            using var doc = JsonDocument.Parse(text.Length == 0 ? "[]" : text);
            var count = 0;
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                count++;
                var name = e.GetProperty("name").GetString() ?? string.Empty;
                var modified = DateTime.TryParse(e.GetProperty("last_modified").GetString(), CultureInfo.InvariantCulture,
                    DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var m) ? m : DateTime.UnixEpoch;
                result.Add((name, e.GetProperty("bytes").GetInt64(), modified, e.TryGetProperty("slo_etag", out _)));
                marker = name;
            }

            if (count < 10000)
            {
                return result;
            }
        }
    }

    private string ContainerPath() => "/" + Uri.EscapeDataString(container);

    private string ObjectPath(string key) => ContainerPath() + "/" + string.Join('/', key.Split('/').Select(Uri.EscapeDataString));

    private static void AddMetadata(HttpRequestMessage request, IReadOnlyDictionary<string, string> metadata)
    {
        foreach (var (name, value) in metadata)
        {
            request.Headers.TryAddWithoutValidation(MetaPrefix + name, value);
        }
    }

    /// <summary>
    /// The ETag header as sent: Swift answers an object PUT with an unquoted md5, which the typed
    /// <c>Headers.ETag</c> (quoted entity tags only) would drop.
    /// </summary>
    private static string? Etag(HttpResponseMessage response) =>
        response.Headers.TryGetValues("ETag", out var v) && v.FirstOrDefault() is { Length: > 0 } e ? e.Trim().Trim('"').ToLowerInvariant() : null;

    private void CheckEtag(HttpResponseMessage response, string md5Hex, string key)
    {
        var etag = Etag(response) ?? throw new StorageException(StorageFailure.CommandFailed, $"container {container} stored {key} without an ETag");
        if (!string.Equals(etag, md5Hex, StringComparison.OrdinalIgnoreCase))
        {
            throw new StorageException(StorageFailure.CommandFailed, $"container {container} stored {key} with ETag {etag}, not the md5 {md5Hex} that was sent");
        }
    }
}
