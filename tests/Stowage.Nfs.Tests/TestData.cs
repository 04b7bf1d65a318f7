namespace Stowage.Nfs.Tests;

internal static class TestData
{
    /// <summary>Deterministic pseudo-random bytes, so a mismatch is reproducible.</summary>
    public static byte[] Bytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
