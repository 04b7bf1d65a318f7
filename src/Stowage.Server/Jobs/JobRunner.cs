using System.Threading.Channels;
using Stowage.Core.Errors;
using Stowage.Persistence.Entities;
using Stowage.Server.Protocol;

namespace Stowage.Server.Jobs;

public sealed record JobWork(string JobUuid, ApiContextFactory ContextFactory, ApiDescriptor Api, TimeSpan Timeout, string? WebHook, string? SerialKey, string? AccountUuid = null);

public delegate ApiContext ApiContextFactory(IServiceProvider services, CancellationToken cancellationToken);

public sealed class JobOptions
{
    public int Workers { get; set; } = Math.Max(4, Environment.ProcessorCount * 4);

    public int MaxQueued { get; set; } = 10_000;
}

/// <summary>
/// A bounded pool of workers running async API jobs. Jobs that share a serial key (one backup storage,
/// say) run one after another without holding a worker while they wait.
/// </summary>
public sealed partial class JobRunner(JobOptions options, JobStore store, WebHookSender webHooks, IServiceScopeFactory scopes, Monitoring.StowageMetrics metrics, ILogger<JobRunner> logger)
    : BackgroundService
{
    private readonly Channel<JobWork> _ready = Channel.CreateUnbounded<JobWork>(new UnboundedChannelOptions { SingleReader = false });
    private readonly Dictionary<string, Queue<JobWork>> _waiting = new(StringComparer.Ordinal);
    private readonly Lock _gate = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, LiveJob> _live = new(StringComparer.Ordinal);
    private int _queued;
    private CancellationTokenSource _fence = new();
    private string _fenceReason = string.Empty;

    public int Queued => Volatile.Read(ref _queued);

    /// <summary>Admits a job, or refuses when the backlog is full (the caller fails the job; a retry may help).</summary>
    public bool TryEnqueue(JobWork work)
    {
        if (Interlocked.Increment(ref _queued) > options.MaxQueued)
        {
            Interlocked.Decrement(ref _queued);
            return false;
        }

        _live[work.JobUuid] = new LiveJob(work);
        if (work.SerialKey is { } key)
        {
            lock (_gate)
            {
                if (_waiting.TryGetValue(key, out var q))
                {
                    q.Enqueue(work);
                    return true;
                }

                _waiting[key] = new Queue<JobWork>();
            }
        }

        return _ready.Writer.TryWrite(work);
    }

    /// <summary>Whether a job with this serial key is running or waiting here.</summary>
    public bool HasSerialKey(string key)
    {
        lock (_gate)
        {
            return _waiting.ContainsKey(key);
        }
    }

    /// <summary>
    /// Stops every running job at once (this server lost its cluster lease and must stop acting); jobs
    /// admitted later run normally.
    /// </summary>
    public void Fence(string reason)
    {
        _fenceReason = reason;
        Interlocked.Exchange(ref _fence, new CancellationTokenSource()).Cancel();
    }

    /// <summary>A job admitted on this server that has not finished yet (waiting for its turn or running).</summary>
    public LiveJob? Find(string jobUuid) => _live.GetValueOrDefault(jobUuid);

    /// <summary>Ends a job the user cancelled before it started; its worker later skips it.</summary>
    public async Task CancelWaitingAsync(LiveJob live)
    {
        var error = CancelledError(live.Work, null);
        await store.CompleteAsync(live.Work.JobUuid, null, error, JobStates.Canceled, CancellationToken.None);
        metrics.Jobs.WithLabels(live.Work.Api.Name, JobStates.Canceled).Inc();
        Notify(live.Work, null, error);
    }

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        Task.WhenAll(Enumerable.Range(0, options.Workers).Select(_ => WorkerAsync(stoppingToken)));

    private async Task WorkerAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var work in _ready.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await RunAsync(work, stoppingToken);
                }
                finally
                {
                    Interlocked.Decrement(ref _queued);
                    ReleaseKey(work);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    private void ReleaseKey(JobWork work)
    {
        if (work.SerialKey is not { } key)
        {
            return;
        }

        lock (_gate)
        {
            if (_waiting.TryGetValue(key, out var q) && q.TryDequeue(out var next))
            {
                _ready.Writer.TryWrite(next);
            }
            else
            {
                _waiting.Remove(key);
            }
        }
    }

    private async Task RunAsync(JobWork work, CancellationToken stoppingToken)
    {
        var live = _live.GetValueOrDefault(work.JobUuid) ?? new LiveJob(work);
        try
        {
            if (live.Start())
            {
                await RunStartedAsync(live, stoppingToken);
            }
        }
        finally
        {
            _live.TryRemove(work.JobUuid, out _);
            live.Finish();
        }
    }

    private async Task RunStartedAsync(LiveJob live, CancellationToken stoppingToken)
    {
        var work = live.Work;
        using var timeout = new CancellationTokenSource(work.Timeout);
        var fence = Volatile.Read(ref _fence).Token;
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, stoppingToken, live.Cancel.Token, fence);
        ApiReply? reply = null;
        ErrorCode? error = null;
        await using (var scope = scopes.CreateAsyncScope())
        {
            try
            {
                var context = work.ContextFactory(scope.ServiceProvider, linked.Token);
                reply = await work.Api.Handler(context);
            }
            catch (OperationCanceledException) when (live.CancelRequested)
            {
                // Mapped to the cancel error below, like any other failure of a cancelled job.
            }
            catch (ApiException e)
            {
                error = e.Error;
            }
            catch (OperationCanceledException) when (timeout.IsCancellationRequested)
            {
                error = Errors.Of(Errors.Timeout, $"API[{work.Api.Name}] timed out after {(long)work.Timeout.TotalMilliseconds} ms; it was cancelled");
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                error = Errors.Operr("the management server is shutting down; the job was cancelled");
            }
            catch (OperationCanceledException) when (fence.IsCancellationRequested)
            {
                error = Errors.Operr(_fenceReason);
            }
            catch (Exception e)
            {
                LogJobCrashed(logger, e, work.Api.Name, work.JobUuid);
                // Exception text can carry internals (paths, SQL); the log has it, the client gets the job id and the
                // exception's type, which says nothing secret but tells a bug report where to start.
                error = Errors.Of(Errors.Internal, $"API[{work.Api.Name}] failed unexpectedly ({e.GetType().Name}); see the server log for job {work.JobUuid}");
            }
        }

        // A reply means the work completed before the cancel could stop it: the success stands.
        var state = error is null && reply is not null ? JobStates.Succeeded : JobStates.Failed;
        if (live.CancelRequested && reply is null)
        {
            error = CancelledError(work, error);
            state = JobStates.Canceled;
        }

        // The outcome must be recorded even while the server stops, so this write is not cancellable.
        await store.CompleteAsync(work.JobUuid, reply, error, state, CancellationToken.None);
        metrics.Jobs.WithLabels(work.Api.Name, state).Inc();
        Notify(work, reply, error);
    }

    private void Notify(JobWork work, ApiReply? reply, ErrorCode? error)
    {
        if (work.WebHook is { } hook)
        {
            webHooks.Enqueue(new WebHookCall(hook, work.JobUuid, error is null, error is null ? ApiReply.RenderNode(reply!, withSchema: true) : ApiErrors.Envelope(error)));
        }
    }

    private static ErrorCode CancelledError(JobWork work, ErrorCode? cause) =>
        Errors.Operr($"job[uuid:{work.JobUuid}] of API[{work.Api.Name}] was cancelled by the user") with { Cause = cause };

    [LoggerMessage(Level = LogLevel.Error, Message = "API {Api} job {JobUuid} failed unexpectedly")]
    private static partial void LogJobCrashed(ILogger logger, Exception exception, string api, string jobUuid);
}
