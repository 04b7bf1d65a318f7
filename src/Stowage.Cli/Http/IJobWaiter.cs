using System.Text.Json.Nodes;

namespace Stowage.Cli.Http;

/// <summary>
/// What the client does while an async job runs. <see cref="Progress"/> is the hook for a live progress bar:
/// the server has no task-progress API yet, so a 202 poll carries no progress today (see docs/cli.md).
/// </summary>
public interface IJobWaiter
{
    void Started(string location);

    /// <summary>Called with each 202 poll body (<c>{}</c> today; progress fields once the server reports them).</summary>
    void Progress(JsonObject? poll);

    /// <summary>Waits before the next poll; false when the user chose to stop waiting.</summary>
    Task<bool> WaitAsync(TimeSpan delay, CancellationToken cancellationToken);
}
