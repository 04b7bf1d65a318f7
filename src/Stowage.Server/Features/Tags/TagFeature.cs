using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Tags;

public sealed class TagFeature : IApiFeature
{
    public IEnumerable<ApiDescriptor> Apis =>
    [
        CreateTag.UserTagApi,
        CreateTag.SystemTagApi,
        UpdateSystemTag.Api,
        DeleteTag.Api,
        .. QueryApi.Define("QueryUserTag", "/user-tags", "userTag", TagInventory.UserTagClass, TagInventory.MapAsync, "Query user tags"),
        .. QueryApi.Define("QuerySystemTag", "/system-tags", "systemTag", TagInventory.SystemTagClass, TagInventory.MapAsync, "Query system tags"),
        .. QueryApi.Define("QueryTag", "/tags", "tag", TagInventory.TagClass, TagInventory.MapAsync, "Query user and system tags together"),
    ];
}
