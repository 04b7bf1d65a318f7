namespace Stowage.Server.Features.Verification;

/// <summary>
/// Caps the verifications running at once per backup storage. The cap is read each time a verification asks to
/// start, so a changed global config applies to the next one; waiting callers look again every quarter second.
/// </summary>
public sealed class VerificationGate
{
    private readonly Dictionary<string, int> _running = new(StringComparer.Ordinal);

    public int Running(string bsUuid)
    {
        lock (_running)
        {
            return _running.GetValueOrDefault(bsUuid);
        }
    }

    public async Task<IDisposable> EnterAsync(string bsUuid, Func<int> cap, CancellationToken ct)
    {
        while (!TryEnter(bsUuid, cap()))
        {
            await Task.Delay(TimeSpan.FromMilliseconds(250), ct);
        }

        return new Slot(this, bsUuid);
    }

    public bool TryEnter(string bsUuid, int cap)
    {
        lock (_running)
        {
            var n = _running.GetValueOrDefault(bsUuid);
            if (n >= Math.Max(1, cap))
            {
                return false;
            }

            _running[bsUuid] = n + 1;
            return true;
        }
    }

    public IDisposable Held(string bsUuid) => new Slot(this, bsUuid);

    private void Leave(string bsUuid)
    {
        lock (_running)
        {
            var n = _running.GetValueOrDefault(bsUuid) - 1;
            if (n <= 0)
            {
                _running.Remove(bsUuid);
            }
            else
            {
                _running[bsUuid] = n;
            }
        }
    }

    private sealed class Slot(VerificationGate gate, string bsUuid) : IDisposable
    {
        private int _done;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _done, 1) == 0)
            {
                gate.Leave(bsUuid);
            }
        }
    }
}
