namespace Stowage.Server.Storage;

/// <summary>Counters of the ping tracker: how many pings ran, the most that were in flight at once, and the last round's timing.</summary>
public sealed class PingStats
{
    private readonly Lock _roundSync = new();
    private int _inFlight;
    private int _maxInFlight;
    private long _pings;
    private long _rounds;
    private long _reconnects;
    private int _roundFailures;

    public int InFlight => Volatile.Read(ref _inFlight);

    public int MaxInFlight => Volatile.Read(ref _maxInFlight);

    public long Pings => Interlocked.Read(ref _pings);

    public long Rounds => Interlocked.Read(ref _rounds);

    public long Reconnects => Interlocked.Read(ref _reconnects);

    /// <summary>Pings and reconnects that failed during the last finished round (checks outside rounds count towards the next).</summary>
    public int LastRoundFailures { get; private set; }

    /// <summary>The per-backup-storage samples the console charts (kept here so the tracker needs no new dependency).</summary>
    public PingHistory History { get; } = new();

    /// <summary>When the last finished round started, with its wall time and the backup storages it checked; null before the first.</summary>
    public (DateTimeOffset Started, TimeSpan Duration, int Checked)? LastRound
    {
        get
        {
            lock (_roundSync)
            {
                return field;
            }
        }

        private set
        {
            lock (_roundSync)
            {
                field = value;
            }
        }
    }

    public void ResetMax() => Volatile.Write(ref _maxInFlight, 0);

    internal void Enter()
    {
        var now = Interlocked.Increment(ref _inFlight);
        Interlocked.Increment(ref _pings);
        int seen;
        while (now > (seen = Volatile.Read(ref _maxInFlight)) && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
        {
        }
    }

    internal void Exit() => Interlocked.Decrement(ref _inFlight);

    internal void RoundDone(DateTimeOffset started, TimeSpan duration, int checkedCount)
    {
        LastRound = (started, duration, checkedCount);
        LastRoundFailures = Interlocked.Exchange(ref _roundFailures, 0);
        Interlocked.Increment(ref _rounds);
    }

    internal void Reconnected() => Interlocked.Increment(ref _reconnects);

    internal void Failed() => Interlocked.Increment(ref _roundFailures);
}
