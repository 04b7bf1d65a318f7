using System.Text.Json.Nodes;

namespace Stowage.Cli.Http;

/// <summary>What the user wants after an interruption (Ctrl-C) while a job runs.</summary>
public enum WaitOutcome
{
    Continue,

    /// <summary>Ask the server to cancel the job (CancelLongJob), then keep polling for its end.</summary>
    CancelJob,

    /// <summary>Stop waiting; the job goes on on the server.</summary>
    StopWaiting,
}

/// <summary>
/// What the client does while an async job runs: show its task progress (GET /task-progresses/{apiId},
/// polled next to the job) and decide what Ctrl-C means.
/// </summary>
public interface IJobWaiter
{
    void Started(string location);

    /// <summary>Called with each 202 poll body (<c>{}</c>: ZStack's poll carries no progress).</summary>
    void Progress(JsonObject? poll);

    /// <summary>Whether <see cref="TaskProgress"/> is wanted: a task-progress request per poll costs a round trip.</summary>
    bool WantsTaskProgress => false;

    /// <summary>The job's task-progress inventories (the job first, then its transfers).</summary>
    void TaskProgress(JsonArray inventories)
    {
    }

    /// <summary>The job ended (or waiting stopped): anything drawn must go before the result is printed.</summary>
    Task FinishedAsync() => Task.CompletedTask;

    /// <summary>Tells the user what the server said to the cancel request.</summary>
    void Cancelled(string? error)
    {
    }

    /// <summary>Waits before the next poll; says what to do when the user interrupted the wait.</summary>
    Task<WaitOutcome> WaitAsync(TimeSpan delay, CancellationToken cancellationToken);
}
