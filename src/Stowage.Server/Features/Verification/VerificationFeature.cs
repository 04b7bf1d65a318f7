using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Verification;

/// <summary>Verification of stored copies: the Verify* APIs, the verifier and repair, and the scheduler.</summary>
public sealed class VerificationFeature : IApiFeature
{
    public IEnumerable<ApiDescriptor> Apis => [VerifyApis.Image, .. VerifyApis.Archives, VerifyApis.BackupStorage];

    public static void AddVerification(IServiceCollection services)
    {
        services.AddSingleton<IApiFeature, VerificationFeature>();
        services.AddSingleton<VerificationGate>();
        services.AddSingleton<CopyRepair>();
        services.AddSingleton<CopyVerifier>();
        services.AddSingleton<VerificationScheduler>();
        services.AddHostedService(sp => sp.GetRequiredService<VerificationScheduler>());
    }
}
