using Stowage.Persistence.Entities;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Zones;

public sealed class ZoneFeature : IApiFeature
{
    public IEnumerable<ApiDescriptor> Apis =>
    [
        CreateZone.Api,
        UpdateZone.Api,
        ChangeZoneState.Api,
        DeleteZone.Api,
        .. QueryApi.Define("QueryZone", "/zones", "zone", ZoneInventory.ClassName,
            (_, rows, _) => Task.FromResult<IReadOnlyList<object>>([.. rows.Cast<ZoneEntity>().Select(ZoneInventory.From)]), "Query zones"),
    ];
}
