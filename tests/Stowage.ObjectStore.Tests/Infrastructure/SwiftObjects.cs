using System.Net;
using System.Text.Json;

namespace Stowage.ObjectStore.Tests.Infrastructure;

/// <summary>
/// The test's own look into the run's Swift through its native API (as <c>test:tester</c>, the account every test
/// target uses; an S3 bucket is a container of that account and its multipart parts live in <c>&lt;bucket&gt;+segments</c>):
/// list, read, write and delete objects behind Stowage's back, independent of the driver under test.
/// </summary>
public sealed class SwiftObjects(SwiftFixture swift) : IDisposable
{
    private readonly HttpClient _http = new();
    private string? _token;
    private string? _storageUrl;

    /// <summary>An object as the container listing shows it; <see cref="Manifest"/> for an SLO manifest.</summary>
    public sealed record Entry(string Name, long Bytes, bool Manifest);

    /// <summary>Every object of the container under <paramref name="prefix"/>; none when the container does not exist.</summary>
    public async Task<List<Entry>> ListAsync(string container, string prefix)
    {
        var result = new List<Entry>();
        var marker = string.Empty;
        while (true)
        {
            using var r = await SendAsync(HttpMethod.Get, $"{Escape(container)}?format=json&limit=10000&prefix={Uri.EscapeDataString(prefix)}&marker={Uri.EscapeDataString(marker)}");
            if (r.StatusCode == HttpStatusCode.NotFound)
            {
                return result;
            }

            Ensure(r);
            using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
            var count = 0;
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                count++;
                marker = e.GetProperty("name").GetString()!;
                result.Add(new Entry(marker, e.GetProperty("bytes").GetInt64(), e.TryGetProperty("slo_etag", out _)));
            }

            if (count < 10000)
            {
                return result;
            }
        }
    }

    /// <summary>The segments an SLO manifest names, as <c>container/key</c>.</summary>
    public async Task<List<string>> SegmentsOfAsync(string container, string key)
    {
        using var r = await SendAsync(HttpMethod.Get, $"{Escape(container)}/{EscapeKey(key)}?multipart-manifest=get");
        Ensure(r);
        using var doc = JsonDocument.Parse(await r.Content.ReadAsStringAsync());
        return [.. doc.RootElement.EnumerateArray().Select(e => Uri.UnescapeDataString(e.GetProperty("name").GetString()!.TrimStart('/')))];
    }

    public async Task<byte[]> GetAsync(string container, string key)
    {
        using var r = await SendAsync(HttpMethod.Get, $"{Escape(container)}/{EscapeKey(key)}");
        Ensure(r);
        return await r.Content.ReadAsByteArrayAsync();
    }

    /// <summary>Writes the object, keeping the metadata it had (a stray write changes bytes, not the metadata beside them).</summary>
    public async Task PutAsync(string container, string key, byte[] content)
    {
        var meta = new List<(string, string)>();
        using (var head = await SendAsync(HttpMethod.Head, $"{Escape(container)}/{EscapeKey(key)}"))
        {
            if (head.IsSuccessStatusCode)
            {
                meta.AddRange(head.Headers.Where(h => h.Key.StartsWith("X-Object-Meta-", StringComparison.OrdinalIgnoreCase)).Select(h => (h.Key, h.Value.First())));
            }
        }

        using var r = await SendAsync(HttpMethod.Put, $"{Escape(container)}/{EscapeKey(key)}", new ByteArrayContent(content), meta);
        Ensure(r);
    }

    /// <summary>Deletes the object (an SLO manifest with its segments, as a lost object would take them).</summary>
    public async Task DeleteAsync(string container, string key, bool manifest = false)
    {
        using var r = await SendAsync(HttpMethod.Delete, $"{Escape(container)}/{EscapeKey(key)}" + (manifest ? "?multipart-manifest=delete" : string.Empty));
        Ensure(r);
    }

    public void Dispose() => _http.Dispose();

    private async Task<HttpResponseMessage> SendAsync(HttpMethod method, string path, HttpContent? content = null, List<(string, string)>? headers = null)
    {
        for (var attempt = 0; ; attempt++)
        {
            if (_token is null || _storageUrl is null)
            {
                using var auth = new HttpRequestMessage(HttpMethod.Get, swift.AuthUrl);
                auth.Headers.Add("X-Auth-User", "test:tester");
                auth.Headers.Add("X-Auth-Key", "testing");
                using var a = await _http.SendAsync(auth);
                Ensure(a);
                _token = a.Headers.GetValues("X-Auth-Token").First();
                _storageUrl = a.Headers.GetValues("X-Storage-Url").First();
            }

            var request = new HttpRequestMessage(method, _storageUrl + "/" + path) { Content = content };
            request.Headers.Add("X-Auth-Token", _token);
            foreach (var (name, value) in headers ?? [])
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }

            var response = await _http.SendAsync(request);
            if (response.StatusCode != HttpStatusCode.Unauthorized || attempt > 0)
            {
                return response;
            }

            // The fault tests flush tempauth's tokens: log in again once.
            response.Dispose();
            _token = null;
        }
    }

    private static void Ensure(HttpResponseMessage r)
    {
        if (!r.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"swift answered {(int)r.StatusCode} to {r.RequestMessage?.Method} {r.RequestMessage?.RequestUri}");
        }
    }

    private static string Escape(string container) => Uri.EscapeDataString(container);

    private static string EscapeKey(string key) => string.Join('/', key.Split('/').Select(Uri.EscapeDataString));
}
