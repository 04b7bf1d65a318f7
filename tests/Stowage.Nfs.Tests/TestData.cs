namespace Stowage.Nfs.Tests;

internal static class TestData
{
    /// <summary>The NFS call bound of tests that expect no fault: generous, the machine may be very loaded.</summary>
    public static readonly TimeSpan CallTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// The bound of the fault tests: short so a dead server is noticed quickly, yet long enough that a healthy
    /// call on a loaded machine does not time out before the fault is injected.
    /// </summary>
    public static readonly TimeSpan FaultCallTimeout = TimeSpan.FromSeconds(5);

    /// <summary>Deterministic pseudo-random bytes, so a mismatch is reproducible.</summary>
    public static byte[] Bytes(int length, int seed)
    {
        var data = new byte[length];
        new Random(seed).NextBytes(data);
        return data;
    }
}
