using System.Security.Cryptography;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Sftp.Tests;

/// <summary>The verification script run by a real /bin/sh on this machine: digests, a missing file, hostile names, the pv path.</summary>
public sealed class VerifyCommandTests
{
    [Theory]
    [InlineData("plain.template", 0)]
    [InlineData("it's $(touch stowage-never) `id`; x.template", 0)]
    [InlineData("limited.template", 64L << 20)]
    public void The_script_prints_the_size_and_both_digests_of_the_file(string name, long rate)
    {
        var dir = Directory.CreateTempSubdirectory("stowage-verify-cmd.").FullName;
        var path = Path.Combine(dir, name);
        var bytes = RandomNumberGenerator.GetBytes(300_000);
        File.WriteAllBytes(path, bytes);
        var output = Proc.Run("/bin/sh", "-c", "cd \"$1\" && " + ImageCommands.Verify(path, rate), "sh", dir);
#pragma warning disable CA5351 // md5 is the recorded identity the script must reproduce
        var md5 = Convert.ToHexStringLower(MD5.HashData(bytes));
#pragma warning restore CA5351
        Assert.Contains($"CHECK 300000 {md5} {Convert.ToHexStringLower(SHA256.HashData(bytes))}", output, StringComparison.Ordinal);
        // Nothing the name holds ran (no stowage-never in the working directory), and with a limit and pv the
        // fifo at the temporary name is gone once the script ends.
        Assert.Equal([path], Directory.GetFiles(dir));
        Directory.Delete(dir, recursive: true);
    }

    [Fact]
    public void A_missing_file_is_reported_not_failed()
    {
        var output = Proc.Run("/bin/sh", "-c", ImageCommands.Verify("/nonexistent/stowage/x.template", 0));
        Assert.Contains("MISSING", output, StringComparison.Ordinal);
    }
}
