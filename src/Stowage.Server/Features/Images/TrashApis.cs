using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Images;

/// <summary>ZStack's InstallPathRecycleInventory, for units found by a scan (hostUuid and hypervisorType stay null on a backup storage).</summary>
public sealed record InstallPathRecycleInventory(
    long TrashId, string? ResourceUuid, string StorageUuid, string StorageType, string ResourceType, string InstallPath,
    bool IsFolder, string? HostUuid, string? HypervisorType, long Size, string TrashType, DateTime CreateDate) : IZStackClass
{
    public const string ClassName = "org.zstack.header.core.trash.InstallPathRecycleInventory";

    [JsonIgnore]
    public string ZStackClass => ClassName;
}

/// <summary>ZStack's TrashCleanupResult: one entry per unit the cleanup tried.</summary>
public sealed record TrashCleanupResult(string? ResourceUuid, bool Success, ErrorCode? Error, long TrashId, long Size);

/// <summary>GetTrashOnBackupStorage and CleanUpTrashOnBackupStorage (§2.15) over what <see cref="ImageTrash"/> finds.</summary>
public sealed class TrashFeature : IApiFeature
{
    public static readonly IReadOnlyList<string> TrashTypes = ["MigrateImage", ImageTrash.OrphanImage, ImageTrash.StaleDownload];

    public static ApiDescriptor Get { get; } = new()
    {
        Name = "GetTrashOnBackupStorage",
        Method = "GET",
        Path = "/backup-storage/trash",
        Kind = ApiKind.Sync,
        ResultClass = InstallPathRecycleInventory.ClassName,
        Description = "List what no image references on a backup storage: image folders and files (OrphanImage) and temporary files of downloads that no longer run (StaleDownload)",
        Params =
        [
            new("uuid") { Required = true, ResourceType = "BackupStorageVO", Description = "backup storage uuid" },
            new("resourceUuid") { Description = "only units of this image (with resourceType)" },
            new("resourceType") { Description = "ImageVO (with resourceUuid)" },
            new("trashType") { ValidValues = TrashTypes, Description = "only this kind; MigrateImage (ZStack's only kind) is never produced by Stowage" },
        ],
        OwnerBackupStorage = a => a.String("uuid"),
        Handler = GetAsync,
    };

    public static ApiDescriptor CleanUp { get; } = new()
    {
        Name = "CleanUpTrashOnBackupStorage",
        Method = "PUT",
        Path = "/backup-storage/{uuid}/trash/actions",
        BodyKey = "cleanUpTrashOnBackupStorage",
        Description = "Remove every unreferenced unit GetTrashOnBackupStorage lists, or the one trashId; a path an image references again is refused in its result",
        Params =
        [
            new("uuid") { InPath = true, Required = true, ResourceType = "BackupStorageVO", Description = "backup storage uuid" },
            new("trashId", ParamType.Long) { Description = "only this unit" },
        ],
        SerialKey = a => "cleanup-trash-on-" + a.String("uuid"),
        OwnerBackupStorage = a => a.String("uuid"),
        Handler = CleanUpAsync,
    };

    public IEnumerable<ApiDescriptor> Apis => [Get, CleanUp];

    private static async Task<ApiReply> GetAsync(ApiContext ctx)
    {
        var a = ctx.Args;
        var resourceUuid = a.String("resourceUuid");
        var resourceType = a.String("resourceType");
        if ((resourceUuid is null) != (resourceType is null))
        {
            throw ApiException.Argument("'resourceUuid' and 'resourceType' must be set both or neither!");
        }

        var scan = await ctx.Get<ImageTrash>().ScanAsync(a.RequiredString("uuid"), ctx.CancellationToken);
        var type = a.String("trashType");
        var shown = scan.Items.Where(i => i.ReferencedBy is null && (type is null || i.TrashType == type)
            && (resourceUuid is null || (i.ResourceUuid == resourceUuid && resourceType == ImageRules.ResourceType)));
        return ApiReply.Inventories(shown.OrderBy(i => i.RelativePath, StringComparer.Ordinal)
            .Select(i => ((JsonNode?)JsonSerializer.SerializeToNode(Inventory(scan, i), ZStackJson.Options), InventoryClass: InstallPathRecycleInventory.ClassName)), null);
    }

    private static async Task<ApiReply> CleanUpAsync(ApiContext ctx)
    {
        var uuid = ctx.Args.RequiredString("uuid");
        var trashId = ctx.Args.Long("trashId");
        var sweeper = ctx.Get<ImageSweeper>();
        var (results, failure) = await sweeper.CleanAsync(uuid, i => trashId is null ? i.ReferencedBy is null : i.TrashId == trashId, trashId, ctx.CancellationToken);
        if (failure is not null)
        {
            throw new ApiException(failure);
        }

        var ok = results.Where(r => r.Success).ToList();
        var body = new JsonObject
        {
            ["result"] = new JsonObject
            {
                ["resourceUuids"] = new JsonArray([.. ok.Where(r => r.ResourceUuid is not null).Select(r => JsonValue.Create(r.ResourceUuid)).Distinct()]),
                ["details"] = new JsonArray([.. results.Where(r => !r.Success).Select(r => JsonValue.Create(r.Error?.Details))]),
                ["size"] = ok.Sum(r => r.Size),
            },
            ["results"] = JsonSerializer.SerializeToNode(results, ZStackJson.Options),
        };
        return ApiReply.Of(body, new Dictionary<string, string> { ["result"] = ZStackSchema.CleanTrashResult, ["results"] = ZStackSchema.TrashCleanupResult });
    }

    private static InstallPathRecycleInventory Inventory(TrashScan scan, TrashItem i) => new(
        i.TrashId, i.ResourceUuid, scan.Bs.Uuid, scan.Bs.Type, ImageRules.ResourceType, scan.Bs.Url.TrimEnd('/') + "/" + i.RelativePath,
        i.IsFolder, null, null, i.Size, i.TrashType, i.CreateDate);
}
