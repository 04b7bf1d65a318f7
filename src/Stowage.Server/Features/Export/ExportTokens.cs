using System.Security.Cryptography;
using System.Text;

namespace Stowage.Server.Features.Export;

/// <summary>
/// Export URL tokens: 256 random bits, base64url. The token is the only credential of a download, so
/// only its SHA-256 is stored; a leaked database does not leak working URLs.
/// </summary>
public static class ExportTokens
{
    public const int Length = 43;

    public static string New() => Base64Url(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.ASCII.GetBytes(token)));

    /// <summary>Shape check before any database work; anything else is simply not found.</summary>
    public static bool LooksValid(string? token) =>
        token is { Length: Length } && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
