using System.Text.RegularExpressions;
using Stowage.Core.Resources;
using Stowage.Persistence.Entities;
using Stowage.Persistence.Query;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Zones;

/// <summary>The zone as the API shows it (ZStack's ZoneInventory).</summary>
public sealed record ZoneInventory(
    string Uuid, string Name, string? Description, string State, string Type, bool IsDefault, DateTime CreateDate, DateTime LastOpDate)
{
    public const string ClassName = "org.zstack.header.zone.ZoneInventory";

    public static ZoneInventory From(ZoneEntity z) => new(z.Uuid, z.Name, z.Description, z.State, z.Type, z.IsDefault, z.CreateDate, z.LastOpDate);
}

public static partial class ZoneRules
{
    /// <summary>The SDK's rule: letters (CJK included), digits, <c>-_.():+"</c> and inner spaces.</summary>
    [GeneratedRegex("^[\\p{L}\\p{N}\\-_.():+\"]([\\p{L}\\p{N}\\-_.():+\" ]*[\\p{L}\\p{N}\\-_.():+\"])?$")]
    public static partial Regex NamePattern();

    public static ParamSpec Name(bool required) => new("name")
    {
        Required = required, MaxLength = 255, EmptyString = false, Pattern = NamePattern(), NoTrim = true,
        PatternText = "letters, digits, -_.():+\" and inner spaces",
        Description = "zone name",
    };

    public static readonly ParamSpec Description = new("description") { MaxLength = 2048, Description = "free text" };

    public static readonly ParamSpec Uuid = new("uuid") { InPath = true, Required = true, ResourceType = ResourceTypes.Zone, Description = "zone uuid" };

    public static QueryResource Query { get; } = new QueryResource<ZoneEntity>("zone", "ZoneInventory", "zones", ResourceTypes.Zone)
    {
        Fields =
        [
            new("uuid", "uuid"), new("name", "name"), new("description", "description"), new("state", "state"),
            new("type", "type"), new("isDefault", "is_default", FieldType.Bool),
            new("createDate", "create_date", FieldType.Date), new("lastOpDate", "last_op_date", FieldType.Date),
        ],
        Relations = [BackupStorage.BackupStorageQueries.ZoneToBackupStorage],
    };
}
