namespace Stowage.Server.Storage;

/// <summary>
/// The ping tracker's concurrency limit, shared by every round, whose size follows
/// <c>ping.parallelismDegree</c> while checks are running: growing releases permits at once, shrinking
/// takes free permits back and keeps the ones in use until their checks end.
/// </summary>
internal sealed class BackupStorageTrackerSlots : IDisposable
{
    private readonly Lock _sync = new();
    private readonly SemaphoreSlim _permits = new(0);
    private int _capacity;
    private int _target;

    public int Limit
    {
        get
        {
            lock (_sync)
            {
                return _target;
            }
        }

        set
        {
            var target = Math.Max(1, value);
            lock (_sync)
            {
                _target = target;
                if (_capacity < target)
                {
                    _permits.Release(target - _capacity);
                    _capacity = target;
                }

                while (_capacity > target && _permits.Wait(0))
                {
                    _capacity--;
                }
            }
        }
    }

    public Task EnterAsync(CancellationToken cancellationToken) => _permits.WaitAsync(cancellationToken);

    public void Exit()
    {
        lock (_sync)
        {
            if (_capacity > _target)
            {
                _capacity--;
                return;
            }
        }

        _permits.Release();
    }

    public void Dispose() => _permits.Dispose();
}
