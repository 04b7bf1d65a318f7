using System.Text.Json.Nodes;
using Stowage.Core.Errors;
using Stowage.Persistence.Entities;
using Stowage.Persistence.Query;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.GlobalConfigs;

/// <summary>ZStack's GlobalConfigInventory.</summary>
public sealed record GlobalConfigInventory(long Id, string Name, string Category, string? Description, string DefaultValue, string Value)
{
    public const string ClassName = "org.zstack.core.config.GlobalConfigInventory";

    public static GlobalConfigInventory From(GlobalConfigEntity e) => new(e.Id, e.Name, e.Category, e.Description, e.DefaultValue, e.Value);
}

public sealed class GlobalConfigFeature : IApiFeature
{
    public static QueryResource Query { get; } = new QueryResource<GlobalConfigEntity>("globalConfig", "GlobalConfigInventory", "global_configs", null)
    {
        KeyColumn = "id",
        Fields =
        [
            new("id", "id", FieldType.Long), new("name", "name"), new("category", "category"),
            new("description", "description"), new("defaultValue", "default_value"), new("value", "value"),
        ],
    };

    public IEnumerable<ApiDescriptor> Apis =>
    [
        UpdateApi,
        ResetApi,
        OptionsApi,
        .. QueryApi.Define("QueryGlobalConfig", "/global-configurations", "globalConfig", GlobalConfigInventory.ClassName,
            (_, rows, _) => Task.FromResult<IReadOnlyList<object>>([.. rows.Cast<GlobalConfigEntity>().Select(GlobalConfigInventory.From)]), "Query global configs"),
    ];

    private static readonly ParamSpec Category = new("category") { InPath = true, Required = true, MaxLength = 64, Description = "config category, e.g. backupStorage" };
    private static readonly ParamSpec Name = new("name") { InPath = true, Required = true, MaxLength = 255, Description = "config name, e.g. ping.interval" };

    public static ApiDescriptor UpdateApi { get; } = new()
    {
        Name = "UpdateGlobalConfig",
        Method = "PUT",
        Path = "/global-configurations/{category}/{name}/actions",
        BodyKey = "updateGlobalConfig",
        ResultClass = GlobalConfigInventory.ClassName,
        Description = "Change a global config; the new value applies at once and survives restarts",
        Params = [Category, Name, new("value") { Required = true, MaxLength = 2048, Description = "new value" }],
        SerialKey = _ => "global-config",
        Handler = async ctx =>
        {
            var row = await ctx.Get<GlobalConfigStore>().UpdateAsync(ctx.Args.RequiredString("category"), ctx.Args.RequiredString("name"), ctx.Args.RequiredString("value"), ctx.CancellationToken);
            return ApiReply.Inventory(GlobalConfigInventory.From(row), GlobalConfigInventory.ClassName);
        },
    };

    public static ApiDescriptor ResetApi { get; } = new()
    {
        Name = "ResetGlobalConfig",
        Method = "PUT",
        Path = "/global-configurations/actions",
        BodyKey = "resetGlobalConfig",
        Description = "Set every global config back to its default",
        SerialKey = _ => "global-config",
        Handler = async ctx =>
        {
            await ctx.Get<GlobalConfigStore>().ResetAllAsync(ctx.CancellationToken);
            return ApiReply.Empty();
        },
    };

    public static ApiDescriptor OptionsApi { get; } = new()
    {
        Name = "GetGlobalConfigOptions",
        Method = "GET",
        Path = "/global-configurations/{category}/{name}",
        Kind = ApiKind.Sync,
        Description = "The rules a global config's value must follow",
        Params = [Category, Name],
        Handler = ctx =>
        {
            var store = ctx.Get<GlobalConfigStore>();
            var category = ctx.Args.RequiredString("category");
            var name = ctx.Args.RequiredString("name");
            var d = store.Catalog.Find(category, name)
                ?? throw ApiException.NotFound($"unable to find global config[category:{category}, name:{name}]");
            var options = new JsonObject { ["type"] = d.Type.ToString() };
            if (d.ValidValues is { Count: > 0 } valid)
            {
                options["validValue"] = new JsonArray([.. valid.Select(v => JsonValue.Create(v))]);
            }
            else if (d.Type == Core.Config.GlobalConfigType.Bool)
            {
                options["validValue"] = new JsonArray("true", "false");
            }

            if (d.NumberGreaterThan is { } lo)
            {
                options["numberGreaterThan"] = lo;
            }

            if (d.NumberLessThan is { } hi)
            {
                options["numberLessThan"] = hi;
            }

            return Task.FromResult(ApiReply.Of(new JsonObject { ["options"] = options }));
        },
    };
}
