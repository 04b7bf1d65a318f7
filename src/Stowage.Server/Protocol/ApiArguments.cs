using System.Globalization;

namespace Stowage.Server.Protocol;

/// <summary>Validated, typed arguments of one call. Absent optional parameters are simply missing.</summary>
public sealed class ApiArguments
{
    private readonly Dictionary<string, object> _values = new(StringComparer.Ordinal);

    public ApiArguments()
    {
    }

    public ApiArguments(IDictionary<string, object> values)
    {
        foreach (var (k, v) in values)
        {
            _values[k] = v;
        }
    }

    public IReadOnlyDictionary<string, object> Values => _values;

    public void Set(string name, object value) => _values[name] = value;

    public bool Has(string name) => _values.ContainsKey(name);

    public string? String(string name) => _values.TryGetValue(name, out var v) ? (string)v : null;

    public string RequiredString(string name) => String(name) ?? throw new InvalidOperationException($"{name} was validated as required");

    public int? Int(string name) => _values.TryGetValue(name, out var v) ? (int)v : null;

    public long? Long(string name) => _values.TryGetValue(name, out var v) ? (long)v : null;

    public bool? Bool(string name) => _values.TryGetValue(name, out var v) ? (bool)v : null;

    public IReadOnlyList<string>? List(string name) => _values.TryGetValue(name, out var v) ? (IReadOnlyList<string>)v : null;

    public IReadOnlyDictionary<string, string>? Map(string name) =>
        _values.TryGetValue(name, out var v) ? (IReadOnlyDictionary<string, string>)v : null;

    public override string ToString() => string.Join(", ", _values.Keys.Select(k => k.ToString(CultureInfo.InvariantCulture)));
}
