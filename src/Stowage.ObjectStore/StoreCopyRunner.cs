using Stowage.Core.Storage;

namespace Stowage.ObjectStore;

/// <summary>
/// Runs the segment (part) copies of a server-side copy a few at a time: each is a request the store serves on its
/// own (a cluster spreads them over its nodes). A request already sent is never cut off, because the store may
/// finish a server-side copy after its client went away, and a segment written after the abort listed them would be
/// left behind: a cancel or a failure stops new copies from starting and waits for the running ones (each at most one
/// segment) before the caller aborts. Progress is reported in increasing order from any thread.
/// </summary>
internal sealed class StoreCopyRunner(IProgress<TransferProgress>? progress)
{
    public const int Parallel = 4;

    private readonly Lock _lock = new();
    private long _done;

    /// <summary>Runs <paramref name="copy"/> for 0 … <paramref name="count"/> − 1; throws the first failure once none runs.</summary>
    public static async Task RunAsync(int count, Func<int, Task> copy, CancellationToken ct)
    {
        var all = new List<Task>();
        var running = new List<Task>();
        for (var i = 0; i < count; i++)
        {
            if (running.Count == Parallel)
            {
                running.Remove(await Task.WhenAny(running));
            }

            if (ct.IsCancellationRequested || all.Any(t => t.IsFaulted))
            {
                break;
            }

            var task = copy(i);
            all.Add(task);
            running.Add(task);
        }

        await Task.WhenAll(all);
        ct.ThrowIfCancellationRequested();
    }

    /// <summary>One more segment of <paramref name="bytes"/> is copied.</summary>
    public void Copied(long bytes)
    {
        lock (_lock)
        {
            _done += bytes;
            progress?.Report(new TransferProgress(_done));
        }
    }
}
