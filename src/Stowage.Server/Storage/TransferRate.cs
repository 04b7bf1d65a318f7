using System.Diagnostics;

namespace Stowage.Server.Storage;

/// <summary>
/// Bytes per second of one transfer, smoothed over the last few seconds. Drivers report progress about
/// once a second, so an instant rate would jump between samples; a stalled transfer drops to zero.
/// </summary>
public sealed class TransferRate
{
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(5);

    private readonly Queue<(long At, long Bytes)> _samples = new();
    private readonly Lock _gate = new();

    public void Add(long bytes)
    {
        var now = Stopwatch.GetTimestamp();
        lock (_gate)
        {
            _samples.Enqueue((now, bytes));

            // Keep one sample older than the window so the rate always spans a full window once there is one.
            while (_samples.Count > 2 && Stopwatch.GetElapsedTime(_samples.ElementAt(1).At, now) > Window)
            {
                _samples.Dequeue();
            }
        }
    }

    /// <summary>Null until two samples exist; zero when nothing arrived for a whole window.</summary>
    public double? BytesPerSecond()
    {
        lock (_gate)
        {
            if (_samples.Count < 2)
            {
                return null;
            }

            var first = _samples.Peek();
            var last = _samples.Last();
            var now = Stopwatch.GetTimestamp();
            if (Stopwatch.GetElapsedTime(last.At, now) > Window)
            {
                return 0;
            }

            var seconds = Stopwatch.GetElapsedTime(first.At, last.At).TotalSeconds;
            return seconds <= 0 ? null : Math.Max(0, last.Bytes - first.Bytes) / seconds;
        }
    }
}
