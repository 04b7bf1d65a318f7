using System.Globalization;

namespace Stowage.Core.Config;

public enum GlobalConfigType
{
    Int,
    Long,
    Bool,
    String,
    SizeString,
}

/// <summary>
/// One global config: its identity, default and the rule a new value must satisfy. The options
/// (<see cref="ValidValues"/>, <see cref="NumberGreaterThan"/>, <see cref="NumberLessThan"/>) are what
/// GetGlobalConfigOptions returns; ZStack's <c>numberGreaterThan=N</c> means "value ≥ N".
/// </summary>
public sealed record GlobalConfigDefinition(
    string Category,
    string Name,
    string Description,
    string DefaultValue,
    GlobalConfigType Type,
    long? NumberGreaterThan = null,
    long? NumberLessThan = null,
    IReadOnlyList<string>? ValidValues = null)
{
    public string Key => Category + "/" + Name;

    /// <summary>Returns null when <paramref name="value"/> is acceptable, else the reason.</summary>
    public string? Validate(string? value)
    {
        if (value is null)
        {
            return $"value of global config[category:{Category}, name:{Name}] cannot be null";
        }

        if (ValidValues is { Count: > 0 } && !ValidValues.Contains(value, StringComparer.Ordinal))
        {
            return $"invalid value[{value}] for global config[category:{Category}, name:{Name}], valid values are [{string.Join(", ", ValidValues)}]";
        }

        switch (Type)
        {
            case GlobalConfigType.Bool:
                if (value is not ("true" or "false"))
                {
                    return $"global config[category:{Category}, name:{Name}] must be a boolean(true or false), but got {value}";
                }

                return null;
            case GlobalConfigType.Int:
            case GlobalConfigType.Long:
                if (!long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var n)
                    || (Type == GlobalConfigType.Int && n is > int.MaxValue or < int.MinValue))
                {
                    return $"global config[category:{Category}, name:{Name}] must be an {(Type == GlobalConfigType.Int ? "integer" : "long")}, but got {value}";
                }

                if (NumberGreaterThan is { } lo && n < lo)
                {
                    return $"global config[category:{Category}, name:{Name}] must be >= {lo}, but got {value}";
                }

                if (NumberLessThan is { } hi && n > hi)
                {
                    return $"global config[category:{Category}, name:{Name}] must be <= {hi}, but got {value}";
                }

                return null;
            case GlobalConfigType.SizeString:
                return SizeString.TryParse(value, out _) ? null
                    : $"global config[category:{Category}, name:{Name}] must be a size like 1G, 512M or a number of bytes, but got {value}";
            default:
                return value.Length > 2048 ? $"global config[category:{Category}, name:{Name}] exceeds 2048 characters" : null;
        }
    }
}
