namespace Stowage.Server.Jobs;

/// <summary>
/// A job admitted on this server and not finished: what a cancel needs to stop it. Start and cancel race
/// (a waiting job may get its worker while the user cancels it); both flags are set with full fences so
/// exactly one side ends the job: the worker skips a job cancelled before it started, and the cancel
/// leaves a started job to its worker.
/// </summary>
public sealed class LiveJob(JobWork work)
{
    private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _started;
    private int _cancelRequested;

    public JobWork Work { get; } = work;

    /// <summary>Linked into the job's token; cancelled after the job's transfers were told why.</summary>
    public CancellationTokenSource Cancel { get; } = new();

    public bool CancelRequested => Volatile.Read(ref _cancelRequested) == 1;

    /// <summary>Completes once the job's outcome is stored.</summary>
    public Task Done => _done.Task;

    /// <summary>Marks the job cancelled; true when it had already started (its worker ends it).</summary>
    public bool RequestCancel()
    {
        Interlocked.Exchange(ref _cancelRequested, 1);
        return Interlocked.CompareExchange(ref _started, 0, 0) == 1;
    }

    /// <summary>The worker takes the job; false when the user cancelled it while it waited.</summary>
    internal bool Start()
    {
        Interlocked.Exchange(ref _started, 1);
        return Interlocked.CompareExchange(ref _cancelRequested, 0, 0) == 0;
    }

    internal void Finish() => _done.TrySetResult();
}
