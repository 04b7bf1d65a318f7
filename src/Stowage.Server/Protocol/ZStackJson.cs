using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Stowage.Server.Protocol;

/// <summary>JSON as ZStack's Gson writes it: camelCase, nulls omitted, timestamps like <c>Jan 1, 2017 9:31:06 AM</c> (UTC).</summary>
public static class ZStackJson
{
    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            WriteIndented = false,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        o.Converters.Add(new ZStackDateConverter());
        o.MakeReadOnly(populateMissingResolver: true);
        return o;
    }

    private sealed class ZStackDateConverter : JsonConverter<DateTime>
    {
        public override DateTime Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
            Persistence.Query.ZStackDates.TryParse(reader.GetString() ?? string.Empty, out var d) ? d : throw new JsonException("bad date");

        public override void Write(Utf8JsonWriter writer, DateTime value, JsonSerializerOptions options) =>
            writer.WriteStringValue(value.ToUniversalTime().ToString(Persistence.Query.ZStackDates.WireFormat, CultureInfo.InvariantCulture));
    }
}
