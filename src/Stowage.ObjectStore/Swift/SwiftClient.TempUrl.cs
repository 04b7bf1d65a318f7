using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Stowage.ObjectStore.Swift;

/// <summary>
/// TempURL with a container key (<c>X-Container-Meta-Temp-URL-Key</c>): it needs only write access to the
/// container, not the account, and never touches keys other users set on the account. Stowage generates the
/// key when there is none and rotates it: the previous key moves to <c>…-Key-2</c> so URLs already handed out
/// keep working until they expire, or both are replaced to revoke every URL at once.
/// </summary>
internal sealed partial class SwiftClient
{
    private const string KeyHeader = "X-Container-Meta-Temp-URL-Key";
    private const string Key2Header = "X-Container-Meta-Temp-URL-Key-2";

    private string? _tempUrlKey;

    public async Task<Uri> SignedGetAsync(string key, TimeSpan lifetime, CancellationToken cancellationToken)
    {
        var secret = _tempUrlKey ??= await ReadOrSetKeyAsync(cancellationToken);
        var token = await auth.GetAsync(cancellationToken);
        var expires = DateTimeOffset.UtcNow.Add(lifetime).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);

        // The signature covers the decoded path, as the store sees it after unquoting the request line.
        var path = token.StorageUrl.AbsolutePath.TrimEnd('/') + "/" + container + "/" + key;
        var signature = Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes($"GET\n{expires}\n{Uri.UnescapeDataString(path)}")));
        var url = token.StorageUrl.GetLeftPart(UriPartial.Authority) + token.StorageUrl.AbsolutePath.TrimEnd('/') + ObjectPath(key);
        return new Uri($"{url}?temp_url_sig={signature}&temp_url_expires={expires}");
    }

    public async Task RotateSigningKeyAsync(bool revokeAll, CancellationToken cancellationToken)
    {
        var old = await ReadKeyAsync(cancellationToken);
        var fresh = NewKey();
        using var response = await SendAsync(HttpMethod.Post, ContainerPath(), cancellationToken, configure: r =>
        {
            r.Headers.TryAddWithoutValidation(KeyHeader, fresh);
            r.Headers.TryAddWithoutValidation(Key2Header, revokeAll || old is null ? NewKey() : old);
        });
        _tempUrlKey = fresh;
    }

    private async Task<string> ReadOrSetKeyAsync(CancellationToken ct)
    {
        if (await ReadKeyAsync(ct) is { } existing)
        {
            return existing;
        }

        var fresh = NewKey();
        using var response = await SendAsync(HttpMethod.Post, ContainerPath(), ct, configure: r => r.Headers.TryAddWithoutValidation(KeyHeader, fresh));
        return fresh;
    }

    private async Task<string?> ReadKeyAsync(CancellationToken ct)
    {
        using var response = await SendAsync(HttpMethod.Head, ContainerPath(), ct, okIfMissing: true);
        return response.StatusCode != HttpStatusCode.NotFound && response.Headers.TryGetValues(KeyHeader, out var v) && v.First() is { Length: > 0 } k ? k : null;
    }

    private static string NewKey() => Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
