using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Stowage.ObjectStore;

/// <summary>
/// md5 and sha256 of a stream whose state can be saved and continued later, by another request or another server
/// process: a resumable upload into an object store cannot read its completed parts back (S3 offers no read of the
/// parts of an unfinished multipart upload), so the digests of the bytes so far are kept with the upload.
/// <see cref="System.Security.Cryptography.IncrementalHash"/> cannot export its state, so this calls OpenSSL's
/// libcrypto (already loaded by .NET's cryptography on Linux) through its plain-struct API, whose contexts are
/// plain memory: the saved state is that memory. Its layout (OpenSSL 3's <c>MD5_CTX</c> and <c>SHA256_CTX</c>) is
/// checked when a state is read back: the bit count inside must equal the bytes recorded beside it.
/// </summary>
internal sealed unsafe partial class ResumableDigest
{
    private const string Lib = "libcrypto.so.3";

    /// <summary>sizeof(MD5_CTX) is 92 and sizeof(SHA256_CTX) 112 on OpenSSL 3; room to spare.</summary>
    private const int ContextSize = 128;

    private const int Md5BitsAt = 16;

    private const int Sha256BitsAt = 32;

    private readonly byte[] _md5 = new byte[ContextSize];

    private readonly byte[] _sha256 = new byte[ContextSize];

    private long _md5Bytes;

    private long _sha256Bytes;

    public ResumableDigest()
    {
        fixed (byte* m = _md5)
        fixed (byte* s = _sha256)
        {
            Check(MD5_Init(m) == 1 && SHA256_Init(s) == 1, "init");
        }
    }

    /// <summary>Bytes both digests have taken.</summary>
    public long Bytes => Math.Min(_md5Bytes, _sha256Bytes);

    /// <summary>Adds to the md5 only; the caller may run <see cref="AppendSha256"/> on the same bytes on another thread meanwhile.</summary>
    public void AppendMd5(ReadOnlySpan<byte> data)
    {
        fixed (byte* m = _md5)
        fixed (byte* d = data)
        {
            Check(MD5_Update(m, d, (nuint)data.Length) == 1, "md5 update");
        }

        _md5Bytes += data.Length;
    }

    public void AppendSha256(ReadOnlySpan<byte> data)
    {
        fixed (byte* s = _sha256)
        fixed (byte* d = data)
        {
            Check(SHA256_Update(s, d, (nuint)data.Length) == 1, "sha256 update");
        }

        _sha256Bytes += data.Length;
    }

    public void Append(ReadOnlySpan<byte> data)
    {
        AppendMd5(data);
        AppendSha256(data);
    }

    /// <summary>The digests of the bytes so far, as lowercase hex; the state goes on unchanged.</summary>
    public (string Md5, string Sha256) Current()
    {
        var m = (byte[])_md5.Clone();
        var s = (byte[])_sha256.Clone();
        Span<byte> md5 = stackalloc byte[16];
        Span<byte> sha = stackalloc byte[32];
        fixed (byte* mc = m)
        fixed (byte* sc = s)
        fixed (byte* mo = md5)
        fixed (byte* so = sha)
        {
            Check(MD5_Final(mo, mc) == 1 && SHA256_Final(so, sc) == 1, "final");
        }

        return (Convert.ToHexStringLower(md5), Convert.ToHexStringLower(sha));
    }

    /// <summary>The state as text: both contexts (base64); <see cref="Bytes"/> is kept beside it by the caller.</summary>
    public (string Md5, string Sha256) Export()
    {
        if (_md5Bytes != _sha256Bytes)
        {
            throw new InvalidOperationException("the digests are exported between two appends");
        }

        return (Convert.ToBase64String(_md5), Convert.ToBase64String(_sha256));
    }

    /// <summary>A saved state; null when it does not decode or its bit counts do not say <paramref name="bytes"/> (another layout).</summary>
    public static ResumableDigest? Import(string md5, string sha256, long bytes)
    {
        var d = new ResumableDigest();
        try
        {
            var m = Convert.FromBase64String(md5);
            var s = Convert.FromBase64String(sha256);
            if (m.Length != ContextSize || s.Length != ContextSize || Bits(m, Md5BitsAt) != (ulong)bytes * 8 || Bits(s, Sha256BitsAt) != (ulong)bytes * 8)
            {
                return null;
            }

            m.CopyTo(d._md5, 0);
            s.CopyTo(d._sha256, 0);
        }
        catch (FormatException)
        {
            return null;
        }

        d._md5Bytes = d._sha256Bytes = bytes;
        return d;
    }

    /// <summary>OpenSSL's 32-bit halves Nl (low) and Nh (high) of the message length in bits.</summary>
    private static ulong Bits(byte[] context, int at) =>
        BinaryPrimitives.ReadUInt32LittleEndian(context.AsSpan(at)) | ((ulong)BinaryPrimitives.ReadUInt32LittleEndian(context.AsSpan(at + 4)) << 32);

    private static void Check(bool ok, string what)
    {
        if (!ok)
        {
            throw new InvalidOperationException($"libcrypto's {what} failed");
        }
    }

    [LibraryImport(Lib)]
    private static partial int MD5_Init(byte* context);

    [LibraryImport(Lib)]
    private static partial int MD5_Update(byte* context, byte* data, nuint length);

    [LibraryImport(Lib)]
    private static partial int MD5_Final(byte* digest, byte* context);

    [LibraryImport(Lib)]
    private static partial int SHA256_Init(byte* context);

    [LibraryImport(Lib)]
    private static partial int SHA256_Update(byte* context, byte* data, nuint length);

    [LibraryImport(Lib)]
    private static partial int SHA256_Final(byte* digest, byte* context);
}
