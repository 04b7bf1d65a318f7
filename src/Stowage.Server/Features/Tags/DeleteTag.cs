using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Persistence;
using Stowage.Server.Features.Common;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Tags;

public static class DeleteTag
{
    public static ApiDescriptor Api { get; } = new()
    {
        Name = "DeleteTag",
        Method = "DELETE",
        Path = "/tags/{uuid}",
        Description = "Delete a user or system tag; deleting a tag that does not exist succeeds",
        Params =
        [
            new("uuid") { InPath = true, Required = true, Pattern = CommonPatterns.Uuid(), PatternText = "32 lowercase hex characters", Description = "tag uuid" },
            CommonParams.DeleteMode,
        ],
        Handler = HandleAsync,
    };

    private static async Task<ApiReply> HandleAsync(ApiContext ctx)
    {
        var ct = ctx.CancellationToken;
        var uuid = ctx.Args.RequiredString("uuid");
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        if (await db.Tags.AnyAsync(t => t.Uuid == uuid && t.Inherent, ct))
        {
            throw ApiException.Operation($"system tag[uuid:{uuid}] is inherent and cannot be deleted");
        }

        await db.Tags.Where(t => t.Uuid == uuid).ExecuteDeleteAsync(ct);
        return ApiReply.Empty();
    }
}
