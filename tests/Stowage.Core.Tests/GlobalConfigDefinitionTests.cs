using Stowage.Core.Config;

namespace Stowage.Core.Tests;

public sealed class GlobalConfigDefinitionTests
{
    private static GlobalConfigDefinition Def(GlobalConfigType type, string def = "1", long? lo = null, long? hi = null, IReadOnlyList<string>? valid = null) =>
        new("cat", "n", "d", def, type, lo, hi, valid);

    [Theory]
    [InlineData("true")]
    [InlineData("false")]
    public void Bool_accepts_lower_case_literals(string value) => Assert.Null(Def(GlobalConfigType.Bool, "true").Validate(value));

    [Theory]
    [InlineData("True")]
    [InlineData("FALSE")]
    [InlineData("1")]
    [InlineData("")]
    [InlineData(" true")]
    public void Bool_refuses_anything_else(string value)
    {
        var error = Def(GlobalConfigType.Bool, "true").Validate(value);
        Assert.Equal($"global config[category:cat, name:n] must be a boolean(true or false), but got {value}", error);
    }

    [Fact]
    public void Null_is_refused_for_every_type()
    {
        foreach (var type in Enum.GetValues<GlobalConfigType>())
        {
            Assert.Equal("value of global config[category:cat, name:n] cannot be null", Def(type).Validate(null));
        }
    }

    [Theory]
    [InlineData("0")]
    [InlineData("-5")]
    [InlineData("+7")]
    [InlineData("2147483647")]
    [InlineData("-2147483648")]
    public void Int_accepts_32_bit_numbers(string value) => Assert.Null(Def(GlobalConfigType.Int).Validate(value));

    [Theory]
    [InlineData("2147483648")]
    [InlineData("-2147483649")]
    [InlineData("1.5")]
    [InlineData("abc")]
    [InlineData("")]
    [InlineData(" 1")]
    [InlineData("1e3")]
    public void Int_refuses_non_integers_and_overflow(string value) =>
        Assert.Equal($"global config[category:cat, name:n] must be an integer, but got {value}", Def(GlobalConfigType.Int).Validate(value));

    [Theory]
    [InlineData("2147483648", null)]
    [InlineData("9223372036854775807", null)]
    [InlineData("9223372036854775808", "global config[category:cat, name:n] must be an long, but got 9223372036854775808")]
    [InlineData("x", "global config[category:cat, name:n] must be an long, but got x")]
    public void Long_is_64_bit(string value, string? expected) => Assert.Equal(expected, Def(GlobalConfigType.Long).Validate(value));

    [Theory]
    [InlineData("1", "global config[category:cat, name:n] must be >= 2, but got 1")]
    [InlineData("2", null)]
    [InlineData("10", null)]
    [InlineData("11", "global config[category:cat, name:n] must be <= 10, but got 11")]
    [InlineData("-3", "global config[category:cat, name:n] must be >= 2, but got -3")]
    public void Number_bounds_are_inclusive(string value, string? expected) =>
        Assert.Equal(expected, Def(GlobalConfigType.Int, "5", lo: 2, hi: 10).Validate(value));

    [Theory]
    [InlineData("a", null)]
    [InlineData("b", null)]
    [InlineData("A", "invalid value[A] for global config[category:cat, name:n], valid values are [a, b]")]
    [InlineData("c", "invalid value[c] for global config[category:cat, name:n], valid values are [a, b]")]
    public void Valid_values_are_case_sensitive(string value, string? expected) =>
        Assert.Equal(expected, Def(GlobalConfigType.String, "a", valid: ["a", "b"]).Validate(value));

    [Fact]
    public void Valid_values_are_checked_before_the_type()
    {
        var d = Def(GlobalConfigType.Int, "1", valid: ["1", "2"]);
        Assert.Null(d.Validate("2"));
        Assert.Equal("invalid value[3] for global config[category:cat, name:n], valid values are [1, 2]", d.Validate("3"));
    }

    [Theory]
    [InlineData("1G", null)]
    [InlineData("512M", null)]
    [InlineData("1024", null)]
    [InlineData("1X", "global config[category:cat, name:n] must be a size like 1G, 512M or a number of bytes, but got 1X")]
    [InlineData("", "global config[category:cat, name:n] must be a size like 1G, 512M or a number of bytes, but got ")]
    public void SizeString_type(string value, string? expected) =>
        Assert.Equal(expected, Def(GlobalConfigType.SizeString, "1G").Validate(value));

    [Fact]
    public void String_is_at_most_2048_characters()
    {
        var d = Def(GlobalConfigType.String, "x");
        Assert.Null(d.Validate(string.Empty));
        Assert.Null(d.Validate(new string('a', 2048)));
        Assert.Equal("global config[category:cat, name:n] exceeds 2048 characters", d.Validate(new string('a', 2049)));
    }

    [Fact]
    public void Every_core_default_is_valid_and_keys_are_unique()
    {
        var catalog = new GlobalConfigCatalog(CoreGlobalConfigs.All);
        Assert.Equal(8, catalog.All.Count());
        Assert.Same(CoreGlobalConfigs.PingInterval, catalog.Find("backupStorage", "ping.interval"));
        Assert.Null(catalog.Find("backupStorage", "nope"));
        Assert.Equal("backupStorage/ping.interval", CoreGlobalConfigs.PingInterval.Key);
    }

    [Fact]
    public void Catalog_refuses_duplicates_and_invalid_defaults()
    {
        var dup = Assert.Throws<InvalidOperationException>(() => new GlobalConfigCatalog([Def(GlobalConfigType.Int), Def(GlobalConfigType.Long)]));
        Assert.Equal("global config cat/n is defined twice", dup.Message);
        var bad = Assert.Throws<InvalidOperationException>(() => new GlobalConfigCatalog([Def(GlobalConfigType.Int, "x")]));
        Assert.Equal("default of cat/n is invalid: global config[category:cat, name:n] must be an integer, but got x", bad.Message);
    }
}
