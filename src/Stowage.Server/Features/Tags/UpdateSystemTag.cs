using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Persistence;
using Stowage.Server.Features.Common;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Tags;

public static class UpdateSystemTag
{
    public static ApiDescriptor Api { get; } = new()
    {
        Name = "UpdateSystemTag",
        Method = "PUT",
        Path = "/system-tags/{uuid}/actions",
        BodyKey = "updateSystemTag",
        ResultClass = TagInventory.SystemTagClass,
        Description = "Change the text of a system tag",
        Params =
        [
            new("uuid") { InPath = true, Required = true, Pattern = CommonPatterns.Uuid(), PatternText = "32 lowercase hex characters", Description = "system tag uuid" },
            TagRules.TagText,
        ],
        Handler = HandleAsync,
    };

    private static async Task<ApiReply> HandleAsync(ApiContext ctx)
    {
        var ct = ctx.CancellationToken;
        var uuid = ctx.Args.RequiredString("uuid");
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        var tag = await db.Tags.FirstOrDefaultAsync(t => t.Uuid == uuid && t.Type == "System", ct)
            ?? throw ApiException.NotFound($"Cannot find system tag[uuid:{uuid}], it may have been deleted");
        if (tag.Inherent)
        {
            throw ApiException.Operation($"system tag[uuid:{uuid}] is inherent and cannot be changed");
        }

        var text = ctx.Args.RequiredString("tag");
        foreach (var validator in ctx.Services.GetServices<ISystemTagValidator>())
        {
            validator.Validate(tag.ResourceType, text);
        }

        tag.Tag = text;
        tag.LastOpDate = ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime;
        await ResourceIndex.SaveAsync(db, ct);
        return ApiReply.Inventory(TagInventory.From(tag), TagInventory.SystemTagClass);
    }
}
