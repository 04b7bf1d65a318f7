using System.Security.Cryptography;

namespace Stowage.ObjectStore;

internal static class Checksums
{
    /// <summary>
    /// The md5 object stores use as a segment's ETag and Content-MD5: an integrity check of the transfer
    /// that the protocol prescribes, not a security measure (sha256 is computed beside it).
    /// </summary>
#pragma warning disable CA5351
    public static string Md5Hex(ReadOnlySpan<byte> data) => Convert.ToHexStringLower(MD5.HashData(data));
#pragma warning restore CA5351
}
