using Stowage.Server.Features.BackupStorage;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Export;

/// <summary>Image export over HTTP and direct fetch for hypervisor hosts.</summary>
public sealed class ExportFeature : IApiFeature
{
    public IEnumerable<ApiDescriptor> Apis =>
    [
        ExportImage.Export,
        ExportImage.DeleteExported,
    ];

    public static void AddExports(IServiceCollection services)
    {
        services.AddSingleton<IApiFeature, ExportFeature>();
        services.AddSingleton<DirectFetchKeys>();
        services.AddSingleton<ExportReaper>();
        services.AddHostedService(sp => sp.GetRequiredService<ExportReaper>());
        services.AddSingleton<IBackupStorageDeletionHook>(sp => sp.GetRequiredService<DirectFetchKeys>());
    }
}
