using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Nodes;
using Stowage.Core.Storage;

namespace Stowage.ObjectStore.Swift;

/// <summary>A Swift token and the storage url it is for.</summary>
internal sealed record SwiftToken(string Value, Uri StorageUrl, DateTimeOffset RenewAt)
{
    public override string ToString() => $"SwiftToken[{StorageUrl}]";
}

/// <summary>
/// Gets and caches the token of one backup storage: auth v1 (tempauth, swauth: <c>X-Auth-User</c>/<c>X-Auth-Key</c>)
/// or Keystone v3 password auth scoped to a project, whose catalog gives the object-store endpoint. The token is
/// renewed before it expires (a tenth of its life, at most five minutes, ahead), and again when the store
/// refuses it earlier (revoked, or the store restarted its token cache).
/// </summary>
internal sealed class SwiftAuth(HttpClient http, BackupStorageTarget target, TimeProvider time) : IDisposable
{
    private static readonly TimeSpan MaxMargin = TimeSpan.FromMinutes(5);

    /// <summary>Assumed life of a v1 token whose store does not say (the store's 401 renews it earlier if needed).</summary>
    private static readonly TimeSpan DefaultLife = TimeSpan.FromHours(1);

    private readonly SemaphoreSlim _lock = new(1, 1);
    private SwiftToken? _token;

    /// <summary>How many times a token was fetched (tests watch renewals).</summary>
    public int Fetches { get; private set; }

    public async Task<SwiftToken> GetAsync(CancellationToken cancellationToken)
    {
        var current = _token;
        if (current is not null && time.GetUtcNow() < current.RenewAt)
        {
            return current;
        }

        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (_token is { } t && time.GetUtcNow() < t.RenewAt)
            {
                return t;
            }

            _token = await FetchAsync(cancellationToken);
            Fetches++;
            return _token;
        }
        finally
        {
            _lock.Release();
        }
    }

    public void Dispose() => _lock.Dispose();

    /// <summary>The store refused <paramref name="stale"/>: the next call fetches a new token.</summary>
    public void Invalidate(SwiftToken stale) => Interlocked.CompareExchange(ref _token, null, stale);

    private async Task<SwiftToken> FetchAsync(CancellationToken ct)
    {
        var authUrl = ObjectStoreSettings.Required(target, ObjectStoreSettings.AuthUrl);
        if (!Uri.TryCreate(authUrl, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
        {
            throw new StorageException(StorageFailure.BadLocation, $"authUrl {authUrl} of backup storage {target.Uuid} is not an http(s) url");
        }

        var version = target.Setting(ObjectStoreSettings.AuthVersion)
            ?? (uri.AbsolutePath.TrimEnd('/').EndsWith("/v3", StringComparison.Ordinal) ? "3" : "1");
        return version switch
        {
            "1" or "1.0" => await V1Async(uri, ct),
            "3" => await V3Async(uri, ct),
            _ => throw new StorageException(StorageFailure.BadLocation, $"authVersion {version} of backup storage {target.Uuid} is neither 1 nor 3"),
        };
    }

    private async Task<SwiftToken> V1Async(Uri uri, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Add("X-Auth-User", ObjectStoreSettings.Required(target, ObjectStoreSettings.Username));
        request.Headers.Add("X-Auth-Key", ObjectStoreSettings.Secret(target));
        using var response = await SendAsync(request, ct);
        var token = Header(response, "X-Auth-Token");
        var storage = Header(response, "X-Storage-Url");
        if (token is null || storage is null || !Uri.TryCreate(storage, UriKind.Absolute, out var storageUrl))
        {
            throw new StorageException(StorageFailure.AuthenticationFailed, $"the auth endpoint of backup storage {target.Uuid} answered no token or storage url");
        }

        var life = long.TryParse(Header(response, "X-Auth-Token-Expires"), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            ? TimeSpan.FromSeconds(seconds)
            : DefaultLife;
        return new SwiftToken(token, storageUrl, RenewAt(life));
    }

    /// <summary>Keystone v3: <c>POST /v3/auth/tokens</c> with the password method and a project scope.</summary>
    private async Task<SwiftToken> V3Async(Uri uri, CancellationToken ct)
    {
        var userDomain = target.Setting(ObjectStoreSettings.UserDomainName) ?? "Default";
        var projectDomain = target.Setting(ObjectStoreSettings.ProjectDomainName) ?? "Default";
        var body = new JsonObject
        {
            ["auth"] = new JsonObject
            {
                ["identity"] = new JsonObject
                {
                    ["methods"] = new JsonArray("password"),
                    ["password"] = new JsonObject
                    {
                        ["user"] = new JsonObject
                        {
                            ["name"] = ObjectStoreSettings.Required(target, ObjectStoreSettings.Username),
                            ["domain"] = new JsonObject { ["name"] = userDomain },
                            ["password"] = ObjectStoreSettings.Secret(target),
                        },
                    },
                },
                ["scope"] = new JsonObject
                {
                    ["project"] = new JsonObject
                    {
                        ["name"] = ObjectStoreSettings.Required(target, ObjectStoreSettings.ProjectName),
                        ["domain"] = new JsonObject { ["name"] = projectDomain },
                    },
                },
            },
        };
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(uri.AbsoluteUri.TrimEnd('/') + "/auth/tokens")) { Content = JsonContent.Create(body) };
        using var response = await SendAsync(request, ct);
        var token = Header(response, "X-Subject-Token")
            ?? throw new StorageException(StorageFailure.AuthenticationFailed, $"Keystone answered backup storage {target.Uuid} without X-Subject-Token");
        JsonNode? doc;
        try
        {
            doc = JsonNode.Parse(await response.Content.ReadAsStringAsync(ct));
        }
        catch (JsonException e)
        {
            throw new StorageException(StorageFailure.AuthenticationFailed, $"Keystone answered backup storage {target.Uuid} with a body that is not JSON", e);
        }

        var expires = DateTimeOffset.TryParse((string?)doc?["token"]?["expires_at"], CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? at - time.GetUtcNow()
            : DefaultLife;
        var storage = Endpoint(doc?["token"]?["catalog"] as JsonArray)
            ?? throw new StorageException(StorageFailure.BadLocation, $"the Keystone catalog of backup storage {target.Uuid} has no public object-store endpoint" +
                (target.Setting(ObjectStoreSettings.Region) is { } r ? $" in region {r}" : string.Empty));
        return new SwiftToken(token, storage, RenewAt(expires));
    }

    /// <summary>The object-store service's public endpoint, in the configured region when one is set.</summary>
    private Uri? Endpoint(JsonArray? catalog)
    {
        var region = target.Setting(ObjectStoreSettings.Region);
        var endpoints = catalog?.OfType<JsonObject>()
            .Where(s => (string?)s["type"] == "object-store")
            .SelectMany(s => (s["endpoints"] as JsonArray)?.OfType<JsonObject>() ?? [])
            .Where(e => (string?)e["interface"] == "public")
            .Where(e => region is null || (string?)e["region_id"] == region || (string?)e["region"] == region);
        var url = (string?)endpoints?.FirstOrDefault()?["url"];
        return url is not null && Uri.TryCreate(url, UriKind.Absolute, out var u) ? u : null;
    }

    private DateTimeOffset RenewAt(TimeSpan life)
    {
        var margin = TimeSpan.FromTicks(Math.Min(MaxMargin.Ticks, Math.Max(0, life.Ticks / 10)));
        return time.GetUtcNow() + life - margin;
    }

    private async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken ct)
    {
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, ct);
        }
        catch (HttpRequestException e)
        {
            throw new StorageException(StorageFailure.Unreachable, $"cannot reach the auth endpoint of backup storage {target.Uuid}: {e.Message}", e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new StorageException(StorageFailure.Timeout, $"the auth endpoint of backup storage {target.Uuid} did not answer in time", e);
        }

        if (response.IsSuccessStatusCode)
        {
            return response;
        }

        var status = response.StatusCode;
        response.Dispose();
        throw status switch
        {
            HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => new StorageException(StorageFailure.AuthenticationFailed,
                $"the auth endpoint refused the credentials of backup storage {target.Uuid} ({(int)status})"),
            >= HttpStatusCode.InternalServerError => new StorageException(StorageFailure.Unreachable, $"the auth endpoint of backup storage {target.Uuid} failed ({(int)status})"),
            _ => new StorageException(StorageFailure.AuthenticationFailed, $"the auth endpoint of backup storage {target.Uuid} answered {(int)status}"),
        };
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var v) ? v.FirstOrDefault() : null;
}
