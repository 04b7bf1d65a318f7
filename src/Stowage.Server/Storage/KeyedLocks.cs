namespace Stowage.Server.Storage;

/// <summary>
/// Async mutual exclusion per key (e.g. one backup storage): connects, reconnects and pings of the same
/// backup storage never overlap, while different keys run in parallel.
/// </summary>
public sealed class KeyedLocks
{
    private readonly Dictionary<string, (SemaphoreSlim Gate, int Users)> _locks = new(StringComparer.Ordinal);
    private readonly Lock _sync = new();

    public async Task<IDisposable> AcquireAsync(string key, CancellationToken cancellationToken)
    {
        SemaphoreSlim gate;
        lock (_sync)
        {
            var entry = _locks.TryGetValue(key, out var e) ? e : (new SemaphoreSlim(1, 1), 0);
            _locks[key] = (entry.Item1, entry.Item2 + 1);
            gate = entry.Item1;
        }

        try
        {
            await gate.WaitAsync(cancellationToken);
        }
        catch
        {
            Release(key, waited: false);
            throw;
        }

        return new Releaser(this, key);
    }

    /// <summary>Acquires only if free right now; used by pings that must not queue behind a connect.</summary>
    public IDisposable? TryAcquire(string key)
    {
        lock (_sync)
        {
            var entry = _locks.TryGetValue(key, out var e) ? e : (new SemaphoreSlim(1, 1), 0);
            if (!entry.Item1.Wait(0))
            {
                if (entry.Item2 == 0)
                {
                    entry.Item1.Dispose();
                }

                return null;
            }

            _locks[key] = (entry.Item1, entry.Item2 + 1);
            return new Releaser(this, key);
        }
    }

    private void Release(string key, bool waited)
    {
        lock (_sync)
        {
            var (gate, users) = _locks[key];
            if (waited)
            {
                gate.Release();
            }

            if (users == 1)
            {
                _locks.Remove(key);
                gate.Dispose();
            }
            else
            {
                _locks[key] = (gate, users - 1);
            }
        }
    }

    private sealed class Releaser(KeyedLocks owner, string key) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                owner.Release(key, waited: true);
            }
        }
    }
}
