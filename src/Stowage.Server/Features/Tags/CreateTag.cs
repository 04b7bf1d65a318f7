using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Resources;
using Stowage.Persistence;
using Stowage.Server.Features.Common;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Tags;

/// <summary>CreateUserTag and CreateSystemTag: one tag on one existing resource of a known type.</summary>
public static class CreateTag
{
    public static ApiDescriptor UserTagApi { get; } = Define("CreateUserTag", "/user-tags", "User", TagInventory.UserTagClass);

    public static ApiDescriptor SystemTagApi { get; } = Define("CreateSystemTag", "/system-tags", "System", TagInventory.SystemTagClass);

    private static ApiDescriptor Define(string name, string path, string type, string resultClass) => new()
    {
        Name = name,
        Method = "POST",
        Path = path,
        BodyKey = "params",
        ResultClass = resultClass,
        Description = $"Attach a {type.ToLowerInvariant()} tag to a resource",
        Params =
        [
            new("resourceType") { Required = true, MaxLength = 64, Description = "resource type, e.g. ZoneVO or BackupStorageVO" },
            new("resourceUuid") { Required = true, Pattern = CommonPatterns.Uuid(), PatternText = "32 lowercase hex characters", Description = "uuid of the tagged resource" },
            TagRules.TagText,
        ],
        Handler = ctx => HandleAsync(ctx, type, resultClass),
    };

    private static async Task<ApiReply> HandleAsync(ApiContext ctx, string type, string resultClass)
    {
        var ct = ctx.CancellationToken;
        var resourceType = ctx.Args.RequiredString("resourceType");
        var resourceUuid = ctx.Args.RequiredString("resourceUuid");
        var text = ctx.Args.RequiredString("tag");
        if (!ResourceTypes.IsKnown(resourceType))
        {
            throw ApiException.Argument($"resourceType[{resourceType}] is not a taggable resource type; valid types are [{string.Join(", ", ResourceTypes.All)}]");
        }

        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        if (!await db.Resources.AnyAsync(r => r.Uuid == resourceUuid && r.ResourceType == resourceType, ct))
        {
            throw ApiException.NotFound($"invalid field[resourceUuid], resource[uuid:{resourceUuid}, type:{resourceType}] not found");
        }

        if (await db.Tags.AnyAsync(t => t.ResourceUuid == resourceUuid && t.Type == type && t.Tag == text, ct))
        {
            throw ApiException.Argument($"the resource[uuid:{resourceUuid}] already has the {type.ToLowerInvariant()} tag[{text}]");
        }

        foreach (var validator in ctx.Services.GetServices<ISystemTagValidator>())
        {
            if (type == "System")
            {
                validator.Validate(resourceType, text);
            }
        }

        var tag = ResourceIndex.NewTag(resourceUuid, resourceType, text, type, ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime);
        db.Tags.Add(tag);
        // The foreign key to the resource index makes a concurrent delete of the resource fail this insert.
        await ResourceIndex.SaveAsync(db, ct);
        return ApiReply.Inventory(TagInventory.From(tag), resultClass);
    }
}

/// <summary>Features that define system tag patterns (e.g. a backup storage's data network CIDR) check them here.</summary>
public interface ISystemTagValidator
{
    void Validate(string resourceType, string tag);
}
