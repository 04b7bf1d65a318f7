using Stowage.Core.Config;

namespace Stowage.Core.Tests;

public sealed class SizeStringTests
{
    [Theory]
    [InlineData("0", 0L)]
    [InlineData("1024", 1024L)]
    [InlineData("10B", 10L)]
    [InlineData("1K", 1024L)]
    [InlineData("1k", 1024L)]
    [InlineData("1KB", 1024L)]
    [InlineData("512M", 512L << 20)]
    [InlineData("1G", 1L << 30)]
    [InlineData("1gb", 1L << 30)]
    [InlineData("3T", 3L << 40)]
    [InlineData("2P", 2L << 50)]
    [InlineData(" 2G ", 2L << 30)]
    [InlineData("8191P", 8191L << 50)]
    [InlineData("9223372036854775807", long.MaxValue)]
    public void Parses_binary_units(string text, long bytes)
    {
        Assert.True(SizeString.TryParse(text, out var n));
        Assert.Equal(bytes, n);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("G")]
    [InlineData("B")]
    [InlineData("GB")]
    [InlineData("-1")]
    [InlineData("+1")]
    [InlineData("1.5G")]
    [InlineData("1X")]
    [InlineData("1 G")]
    [InlineData("1GG")]
    [InlineData("8192P")]
    [InlineData("9223372036854775808")]
    public void Refuses_malformed_and_overflowing_sizes(string? text)
    {
        Assert.False(SizeString.TryParse(text, out var n));
        Assert.Equal(0, n);
    }
}
