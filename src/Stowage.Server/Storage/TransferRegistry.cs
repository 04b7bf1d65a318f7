using System.Collections.Concurrent;
using Stowage.Core.Resources;
using Stowage.Server.Monitoring;

namespace Stowage.Server.Storage;

/// <summary>
/// The image transfers running on this server, by image and backup storage, so a delete can cancel them at
/// once and wait until the driver has stopped the remote process and removed the partial file. Transfers
/// started by an async API job are also found by the job's uuid: task progress reads them and a job cancel
/// stops them. Finished transfers of a job stay readable for <see cref="KeepFinished"/>.
/// </summary>
public sealed class TransferRegistry(StowageMetrics metrics)
{
    public static readonly TimeSpan KeepFinished = TimeSpan.FromHours(1);

    private readonly ConcurrentDictionary<(string Image, string Bs), Entry> _running = new();
    private readonly ConcurrentDictionary<Entry, DateTime> _finished = new();
    private readonly ConcurrentDictionary<string, DateTime> _cancelledJobs = new(StringComparer.Ordinal);

    public sealed class Entry(CancellationTokenSource cancel)
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private long _bytesDone;
        private Prometheus.Counter.Child? _meter;

        public CancellationTokenSource Cancel { get; } = cancel;

        /// <summary>The transfer's own id in task progress (a job may run several).</summary>
        public string TaskUuid { get; } = ResourceUuid.New();

        public string ImageUuid { get; init; } = "";

        public string BsUuid { get; init; } = "";

        public string? JobUuid { get; init; }

        public long BytesDone
        {
            get => Interlocked.Read(ref _bytesDone);
            set
            {
                var before = Interlocked.Exchange(ref _bytesDone, value);
                Rate.Add(value);
                if (value > before)
                {
                    _meter?.Inc(value - before);
                }
            }
        }

        /// <summary>The direction (in, out) and data path the metrics count this transfer's bytes under; null: not counted.</summary>
        public (string Direction, string Path)? Metered { get; private set; }

        /// <summary>From now on, progress is counted in <c>stowage_transfer_bytes_total</c> (bytes already done are not).</summary>
        public void CountInto(StowageMetrics metrics, string direction, string path)
        {
            Metered = (direction, path);
            _meter = metrics.TransferBytes.WithLabels(direction, path);
        }

        public TransferRate Rate { get; } = new();

        /// <summary>Set before cancelling when the image (or its backup storage) is being deleted.</summary>
        public bool CancelledByDelete { get; set; }

        /// <summary>Set before cancelling when the user cancelled the job that runs the transfer.</summary>
        public bool CancelledByUser { get; set; }

        /// <summary>The copy is complete and verified.</summary>
        public bool Succeeded { get; private set; }

        public long? Total { get; set; }

        public DateTime Started { get; } = DateTime.UtcNow;

        public DateTime? Finished { get; private set; }

        public Task Done => _done.Task;

        /// <summary>Records a complete copy of <paramref name="bytes"/> bytes.</summary>
        public void Complete(long bytes)
        {
            Total ??= bytes;
            BytesDone = Math.Max(BytesDone, Total.Value);
            Succeeded = true;
        }

        internal void Finish()
        {
            Finished = DateTime.UtcNow;
            _done.TrySetResult();
        }
    }

    /// <summary>Registers a transfer; one of a job the user already cancelled starts cancelled.</summary>
    public Entry Start(string imageUuid, string bsUuid, CancellationTokenSource cancel, string? jobUuid = null, string? path = null)
    {
        var entry = new Entry(cancel) { ImageUuid = imageUuid, BsUuid = bsUuid, JobUuid = jobUuid };
        if (path is not null)
        {
            entry.CountInto(metrics, "in", path);
        }

        _running[(imageUuid, bsUuid)] = entry;
        if (jobUuid is not null && _cancelledJobs.ContainsKey(jobUuid))
        {
            entry.CancelledByUser = true;
            cancel.Cancel();
        }

        return entry;
    }

    public void Finish(string imageUuid, string bsUuid, Entry entry)
    {
        _running.TryRemove(new KeyValuePair<(string, string), Entry>((imageUuid, bsUuid), entry));
        entry.Finish();
        if (entry.Metered is { } m)
        {
            metrics.TransferSeconds.WithLabels(m.Direction, m.Path, entry.Succeeded ? "succeeded" : "failed").Observe((entry.Finished!.Value - entry.Started).TotalSeconds);
        }

        if (entry.JobUuid is not null)
        {
            _finished[entry] = DateTime.UtcNow;
            Prune();
        }
    }

    public bool IsRunning(string imageUuid, string bsUuid) => _running.ContainsKey((imageUuid, bsUuid));

    /// <summary>Whether any transfer writes to or reads from the backup storage right now.</summary>
    public bool IsBusy(string bsUuid) => _running.Keys.Any(k => k.Bs == bsUuid);

    public IReadOnlyList<(string Image, string Bs, Entry Entry)> Of(string imageUuid) =>
        [.. _running.Where(p => p.Key.Image == imageUuid).Select(p => (p.Key.Image, p.Key.Bs, p.Value))];

    /// <summary>The job's transfers, running and recently finished, oldest first.</summary>
    public IReadOnlyList<Entry> OfJob(string jobUuid) =>
        [.. _running.Values.Concat(_finished.Keys).Where(e => e.JobUuid == jobUuid).Distinct().OrderBy(e => e.Started)];

    /// <summary>Cancels the matching transfers and waits (bounded) until each has cleaned up.</summary>
    public async Task CancelAsync(Func<(string Image, string Bs), bool> match, TimeSpan wait)
    {
        var hits = _running.Where(p => match(p.Key)).Select(p => p.Value).ToList();
        foreach (var e in hits)
        {
            e.CancelledByDelete = true;
            await e.Cancel.CancelAsync();
        }

        await Task.WhenAny(Task.WhenAll(hits.Select(h => h.Done)), Task.Delay(wait));
    }

    /// <summary>
    /// The user cancelled the job: its transfers stop (and ones it starts later start cancelled); waits
    /// (bounded) until each has cleaned up. Gives the number of transfers that were running.
    /// </summary>
    public async Task<int> CancelJobAsync(string jobUuid, TimeSpan wait)
    {
        _cancelledJobs[jobUuid] = DateTime.UtcNow;
        Prune();
        var hits = _running.Values.Where(e => e.JobUuid == jobUuid).ToList();
        foreach (var e in hits)
        {
            e.CancelledByUser = true;
            await e.Cancel.CancelAsync();
        }

        await Task.WhenAny(Task.WhenAll(hits.Select(h => h.Done)), Task.Delay(wait));
        return hits.Count;
    }

    private void Prune()
    {
        var cutoff = DateTime.UtcNow - KeepFinished;
        foreach (var e in _finished.Where(p => p.Value < cutoff).Select(p => p.Key))
        {
            _finished.TryRemove(e, out _);
        }

        foreach (var job in _cancelledJobs.Where(p => p.Value < cutoff).Select(p => p.Key))
        {
            _cancelledJobs.TryRemove(job, out _);
        }
    }
}
