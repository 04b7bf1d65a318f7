using Stowage.Core.Resources;
using Stowage.Server.Features.BackupStorage;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.VolumeArchives;

public sealed class VolumeArchiveFeature : IApiFeature
{
    public IEnumerable<ApiDescriptor> Apis => VolumeArchiveKind.All.SelectMany(kind => (IEnumerable<ApiDescriptor>)
    [
        AddVolumeArchive.Api(kind),
        DeleteVolumeArchive.Api(kind),
        CopyVolumeArchive.Api(kind),
        .. QueryApi.Define("Query" + kind.ApiNoun, kind.Path, kind.QueryName, kind.InventoryClass,
            (db, rows, ct) => Task.FromResult(rows), $"Query {kind.Noun}s (nested backupStorage.*, backupStorageRefs.*, tags)"),
    ]);

    public static void AddVolumeArchives(IServiceCollection services)
    {
        foreach (var kind in VolumeArchiveKind.All)
        {
            ResourceTypes.Register(kind.ResourceType);
        }

        services.AddSingleton<IApiFeature, VolumeArchiveFeature>();
        services.AddSingleton<VolumeArchiveRemoval>();
        services.AddSingleton<IBackupStorageDeletionHook, VolumeArchiveDeletionHook>();
    }
}
