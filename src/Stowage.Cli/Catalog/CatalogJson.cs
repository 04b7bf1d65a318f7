using System.Text.Json;
using System.Text.Json.Serialization;

namespace Stowage.Cli.Catalog;

/// <summary>Source-generated reader of the catalogue: no reflection at start-up, which every command pays.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ApiDocument))]
internal sealed partial class CatalogJson : JsonSerializerContext;
