using Stowage.Server.Features.Export;

namespace Stowage.Server.Tests.Export;

public sealed class ExportRangeTests
{
    [Theory]
    [InlineData(null, RangeKind.Full, 0, 100)]
    [InlineData("bytes=0-9", RangeKind.Partial, 0, 10)]
    [InlineData("bytes=90-", RangeKind.Partial, 90, 10)]
    [InlineData("bytes=90-500", RangeKind.Partial, 90, 10)]
    [InlineData("bytes=-30", RangeKind.Partial, 70, 30)]
    [InlineData("bytes=-300", RangeKind.Partial, 0, 100)]
    [InlineData("bytes=100-", RangeKind.Unsatisfiable, 0, 0)]
    [InlineData("bytes=-0", RangeKind.Unsatisfiable, 0, 0)]
    [InlineData("bytes=0-1,5-6", RangeKind.Full, 0, 100)]
    [InlineData("bytes=9-3", RangeKind.Full, 0, 100)]
    [InlineData("items=0-9", RangeKind.Full, 0, 100)]
    [InlineData("bytes=x-9", RangeKind.Full, 0, 100)]
    public void Export_ranges_follow_rfc_9110_for_a_single_range(string? header, RangeKind kind, long start, long length)
    {
        var r = HttpRange.Parse(header, 100);
        Assert.Equal((kind, start, length), (r.Kind, r.Start, r.Length));
    }

    [Fact]
    public void Export_tokens_are_long_random_and_only_their_hash_is_comparable()
    {
        var a = ExportTokens.New();
        var b = ExportTokens.New();
        Assert.NotEqual(a, b);
        Assert.True(ExportTokens.LooksValid(a));
        Assert.False(ExportTokens.LooksValid(a[..^1]));
        Assert.False(ExportTokens.LooksValid(a[..^1] + "/"));
        Assert.Equal(64, ExportTokens.Hash(a).Length);
        Assert.DoesNotContain(a, ExportTokens.Hash(a), StringComparison.Ordinal);
    }
}
