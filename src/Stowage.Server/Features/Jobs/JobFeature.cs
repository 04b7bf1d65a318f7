using Stowage.Server.Protocol;

namespace Stowage.Server.Features.Jobs;

/// <summary>APIs about async API jobs themselves: their task progress and cancelling them.</summary>
public sealed class JobFeature : IApiFeature
{
    public IEnumerable<ApiDescriptor> Apis => [TaskProgress.Api, CancelJob.Api];
}
