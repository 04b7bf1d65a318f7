using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Stowage.Server.Identity;

/// <summary>
/// Clients send sha512(password) as hex; we store a salted PBKDF2-SHA256 hash of that digest, so neither
/// the password nor the digest a client would replay is ever in the database.
/// </summary>
public static class PasswordHasher
{
    private const int Iterations = 100_000;
    private const string Scheme = "pbkdf2-sha256";

    public static string Sha512Hex(string clear) =>
        Convert.ToHexStringLower(SHA512.HashData(Encoding.UTF8.GetBytes(clear)));

    public static string Hash(string sha512Hex)
    {
        var salt = RandomNumberGenerator.GetBytes(16);
        var hash = Rfc2898DeriveBytes.Pbkdf2(Normalize(sha512Hex), salt, Iterations, HashAlgorithmName.SHA256, 32);
        return string.Join('$', Scheme, Iterations.ToString(CultureInfo.InvariantCulture), Convert.ToBase64String(salt), Convert.ToBase64String(hash));
    }

    public static bool Verify(string sha512Hex, string stored)
    {
        var parts = stored.Split('$');
        if (parts.Length != 4 || parts[0] != Scheme || !int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var iterations))
        {
            return false;
        }

        var salt = Convert.FromBase64String(parts[2]);
        var expected = Convert.FromBase64String(parts[3]);
        var actual = Rfc2898DeriveBytes.Pbkdf2(Normalize(sha512Hex), salt, iterations, HashAlgorithmName.SHA256, expected.Length);
        return CryptographicOperations.FixedTimeEquals(actual, expected);
    }

    private static byte[] Normalize(string sha512Hex) => Encoding.UTF8.GetBytes(sha512Hex.Trim().ToLowerInvariant());
}
