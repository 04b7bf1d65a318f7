using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Core.Resources;
using Stowage.Persistence;
using Stowage.Persistence.Entities;

namespace Stowage.Server.Features.Common;

/// <summary>
/// The cross-type bookkeeping every resource shares: a unique uuid in the resource index, the tags
/// given at creation, and removal of both when the resource goes.
/// </summary>
public static class ResourceIndex
{
    /// <summary>Picks the caller's <c>resourceUuid</c> (validated) or a fresh one; a uuid in use is <c>SYS.1007</c>.</summary>
    public static async Task<string> ClaimUuidAsync(StowageDbContext db, string? requested, CancellationToken cancellationToken)
    {
        if (requested is null)
        {
            return ResourceUuid.New();
        }

        if (!ResourceUuid.IsValid(requested))
        {
            throw ApiException.Argument($"resourceUuid[{requested}] is not a valid uuid: expected 32 lowercase hex characters");
        }

        if (await db.Resources.AnyAsync(r => r.Uuid == requested, cancellationToken))
        {
            throw ApiException.Argument($"resourceUuid[{requested}] is already used by another resource");
        }

        return requested;
    }

    public static void Add(StowageDbContext db, string uuid, string type, string? name, DateTime now, IEnumerable<string> systemTags, IEnumerable<string> userTags)
    {
        db.Resources.Add(new ResourceEntity { Uuid = uuid, ResourceType = type, ResourceName = name, CreateDate = now });
        foreach (var t in systemTags.Distinct(StringComparer.Ordinal))
        {
            db.Tags.Add(NewTag(uuid, type, t, "System", now));
        }

        foreach (var t in userTags.Distinct(StringComparer.Ordinal))
        {
            db.Tags.Add(NewTag(uuid, type, t, "User", now));
        }
    }

    public static TagEntity NewTag(string resourceUuid, string resourceType, string tag, string type, DateTime now) => new()
    {
        Uuid = ResourceUuid.New(),
        ResourceUuid = resourceUuid,
        ResourceType = resourceType,
        Tag = tag,
        Type = type,
        CreateDate = now,
        LastOpDate = now,
    };

    /// <summary>Removes the index row and every tag of the resource (ZStack's auto-delete of tags).</summary>
    public static async Task RemoveAsync(StowageDbContext db, string uuid, CancellationToken cancellationToken)
    {
        await db.Tags.Where(t => t.ResourceUuid == uuid).ExecuteDeleteAsync(cancellationToken);
        await db.Resources.Where(r => r.Uuid == uuid).ExecuteDeleteAsync(cancellationToken);
    }

    /// <summary>Saves, turning a lost race (a concurrent writer or a uuid taken meanwhile) into a retryable API error.</summary>
    public static async Task SaveAsync(StowageDbContext db, CancellationToken cancellationToken)
    {
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateConcurrencyException e)
        {
            throw new ApiException(Errors.Operr("the resource was changed by another request at the same time; retry"), retryable: true, e);
        }
        catch (DbUpdateException e)
        {
            throw new ApiException(Errors.Operr("the change conflicts with another resource (a uuid or a unique name already in use); nothing was written"), retryable: true, e);
        }
    }
}
