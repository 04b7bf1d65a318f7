using System.Collections.Concurrent;

namespace Stowage.Server.Storage;

/// <summary>
/// The image transfers running on this server, by image and backup storage, so a delete can cancel them at
/// once and wait until the driver has stopped the remote process and removed the partial file.
/// </summary>
public sealed class TransferRegistry
{
    private readonly ConcurrentDictionary<(string Image, string Bs), Entry> _running = new();

    public sealed class Entry(CancellationTokenSource cancel)
    {
        private readonly TaskCompletionSource _done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public CancellationTokenSource Cancel { get; } = cancel;

        public long BytesDone { get; set; }

        /// <summary>Set before cancelling when the image (or its backup storage) is being deleted.</summary>
        public bool CancelledByDelete { get; set; }

        public long? Total { get; set; }

        public DateTime Started { get; } = DateTime.UtcNow;

        public Task Done => _done.Task;

        internal void Finish() => _done.TrySetResult();
    }

    public Entry Start(string imageUuid, string bsUuid, CancellationTokenSource cancel)
    {
        var entry = new Entry(cancel);
        _running[(imageUuid, bsUuid)] = entry;
        return entry;
    }

    public void Finish(string imageUuid, string bsUuid, Entry entry)
    {
        _running.TryRemove(new KeyValuePair<(string, string), Entry>((imageUuid, bsUuid), entry));
        entry.Finish();
    }

    public bool IsRunning(string imageUuid, string bsUuid) => _running.ContainsKey((imageUuid, bsUuid));

    public IReadOnlyList<(string Image, string Bs, Entry Entry)> Of(string imageUuid) =>
        [.. _running.Where(p => p.Key.Image == imageUuid).Select(p => (p.Key.Image, p.Key.Bs, p.Value))];

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
}
