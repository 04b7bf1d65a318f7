using Stowage.Persistence.Entities;
using Stowage.Persistence.Query;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Tags;

/// <summary>ZStack's TagInventory / UserTagInventory / SystemTagInventory (inherent only on system tags).</summary>
public sealed record TagInventory(
    string Uuid, string ResourceUuid, string ResourceType, string Tag, string Type, bool? Inherent, DateTime CreateDate, DateTime LastOpDate)
{
    public const string TagClass = "org.zstack.header.tag.TagInventory";
    public const string UserTagClass = "org.zstack.header.tag.UserTagInventory";
    public const string SystemTagClass = "org.zstack.header.tag.SystemTagInventory";

    public static TagInventory From(TagEntity t) =>
        new(t.Uuid, t.ResourceUuid, t.ResourceType, t.Tag, t.Type, t.Type == "System" ? t.Inherent : null, t.CreateDate, t.LastOpDate);

    public static Task<IReadOnlyList<object>> MapAsync(Persistence.StowageDbContext db, IReadOnlyList<object> rows, CancellationToken ct) =>
        Task.FromResult<IReadOnlyList<object>>([.. rows.Cast<TagEntity>().Select(From)]);
}

public static class TagRules
{
    public const int MaxLength = 2048;

    public static readonly ParamSpec TagText = new("tag") { Required = true, MaxLength = MaxLength, EmptyString = false, Description = "the tag text" };

    private static readonly IReadOnlyList<QueryField> Fields =
    [
        new("uuid", "uuid"), new("resourceUuid", "resource_uuid"), new("resourceType", "resource_type"), new("tag", "tag"),
        new("type", "type"), new("inherent", "inherent", FieldType.Bool),
        new("createDate", "create_date", FieldType.Date), new("lastOpDate", "last_op_date", FieldType.Date),
    ];

    public static IEnumerable<QueryResource> QueryResources =>
    [
        new QueryResource<TagEntity>("tag", "TagInventory", "tags", null) { Fields = Fields },
        new QueryResource<TagEntity>("userTag", "UserTagInventory", "tags", null) { Fields = Fields, FixedCondition = "{t}.\"type\" = 'User'" },
        new QueryResource<TagEntity>("systemTag", "SystemTagInventory", "tags", null) { Fields = Fields, FixedCondition = "{t}.\"type\" = 'System'" },
    ];
}
