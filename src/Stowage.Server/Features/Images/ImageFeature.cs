using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Images;

public sealed class ImageFeature : IApiFeature
{
    public IEnumerable<ApiDescriptor> Apis =>
    [
        AddImage.Api,
        DeleteImage.Api,
        ImageActions.Update,
        ImageActions.ChangeState,
        ImageActions.Expunge,
        ImageActions.Recover,
        CopyImage.Api,
        CopyImage.SyncAlias,
        SyncImageSize.Api,
        .. QueryApi.Define("QueryImage", "/images", "image", ImageRules.InventoryClass,
            (db, rows, ct) => Task.FromResult(rows), "Query images (nested backupStorage.*, backupStorageRefs.*, tags)"),
    ];
}
