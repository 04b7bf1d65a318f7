using System.Collections.Concurrent;

namespace Stowage.Server.Storage;

/// <summary>One ping or reconnect of a backup storage: when, capacity after it, how long it took, whether it worked.</summary>
public readonly record struct PingSample(DateTimeOffset Time, long TotalCapacity, long AvailableCapacity, double? LatencyMs, bool Ok);

/// <summary>
/// A small bounded time series per backup storage (issue 18: the console's capacity and latency chart), fed by
/// this server's ping tracker. Kept in memory only: it starts empty after a restart, and in a cluster each server
/// holds the samples of the backup storages it owns (the API is routed to the owner). At most
/// <see cref="Capacity"/> samples per storage (6 h at the default 60 s ping interval), so memory stays bounded
/// at about 40 bytes × Capacity × backup storages.
/// </summary>
public sealed class PingHistory
{
    public const int Capacity = 360;

    private readonly ConcurrentDictionary<string, Ring> _rings = new(StringComparer.Ordinal);

    public void Record(string backupStorageUuid, PingSample sample) => _rings.GetOrAdd(backupStorageUuid, _ => new Ring()).Add(sample);

    public IReadOnlyList<PingSample> Samples(string backupStorageUuid) =>
        _rings.TryGetValue(backupStorageUuid, out var ring) ? ring.Snapshot() : [];

    /// <summary>Drops the series of a deleted backup storage.</summary>
    public void Forget(string backupStorageUuid) => _rings.TryRemove(backupStorageUuid, out _);

    private sealed class Ring
    {
        private readonly Lock _sync = new();
        private readonly PingSample[] _items = new PingSample[Capacity];
        private int _next;
        private int _count;

        public void Add(PingSample s)
        {
            lock (_sync)
            {
                _items[_next] = s;
                _next = (_next + 1) % Capacity;
                _count = Math.Min(_count + 1, Capacity);
            }
        }

        public PingSample[] Snapshot()
        {
            lock (_sync)
            {
                var result = new PingSample[_count];
                var start = (_next - _count + Capacity) % Capacity;
                for (var i = 0; i < _count; i++)
                {
                    result[i] = _items[(start + i) % Capacity];
                }

                return result;
            }
        }
    }
}
