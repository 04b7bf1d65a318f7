using Microsoft.EntityFrameworkCore;
using Prometheus;
using Stowage.Core.Resources;
using Stowage.Persistence;
using Stowage.Server.Storage;

namespace Stowage.Server.Monitoring;

/// <summary>
/// The gauges read at scrape time. One query over <c>backup_storages</c> (a row per backup storage) and one
/// grouped query per copy table restricted to the statuses <c>Downloading</c> and <c>Corrupted</c>, which the
/// <c>(status, node_id)</c> index serves, so a scrape never walks the Ready copies. Results are reused for
/// <see cref="MinInterval"/> so several scrapers (or a short scrape interval) do not multiply the reads.
/// Label sets of backup storages that are gone are removed, so a deleted one stops being exported.
/// </summary>
internal sealed class ScrapeGauges
{
    public static readonly TimeSpan MinInterval = TimeSpan.FromSeconds(2);
    public const string Corrupted = "Corrupted";

    private static readonly string[] Statuses = [BackupStorageStatus.Connecting, BackupStorageStatus.Connected, BackupStorageStatus.Disconnected];
    private static readonly string[] States = [nameof(ResourceState.Enabled), nameof(ResourceState.Disabled)];

    private readonly Gauge _total;
    private readonly Gauge _available;
    private readonly Gauge _reserved;
    private readonly Gauge _status;
    private readonly Gauge _state;
    private readonly Gauge _corrupted;
    private readonly Gauge _owned;
    private readonly Gauge _members;
    private readonly Gauge _webhookQueue;
    private int _refreshing;
    private HashSet<(string, string, string)> _seen = [];
    private long _lastRead;

    private readonly Histogram _pingSeconds;
    private readonly Counter _pingFailures;

    public ScrapeGauges(IMetricFactory f, Histogram pingSeconds, Counter pingFailures)
    {
        (_pingSeconds, _pingFailures) = (pingSeconds, pingFailures);
        _total = f.CreateGauge("stowage_backup_storage_total_bytes", "Total capacity of the backup storage as last measured", StowageMetrics.StorageLabels);
        _available = f.CreateGauge("stowage_backup_storage_available_bytes", "Available capacity (free space minus running writes' reservations) as last measured", StowageMetrics.StorageLabels);
        _reserved = f.CreateGauge("stowage_backup_storage_reserved_bytes", "Capacity reserved by writes running now", StowageMetrics.StorageLabels);
        _status = f.CreateGauge("stowage_backup_storage_status", "1 for the backup storage's current status, 0 for the others", [.. StowageMetrics.StorageLabels, "status"]);
        _state = f.CreateGauge("stowage_backup_storage_state", "1 for the backup storage's current state, 0 for the other", [.. StowageMetrics.StorageLabels, "state"]);
        _corrupted = f.CreateGauge("stowage_backup_storage_corrupted_copies", "Copies (images and volume archives) whose status is Corrupted", StowageMetrics.StorageLabels);
        _owned = f.CreateGauge("stowage_backup_storage_owned", "1 when this server owns (pings, reconnects, runs the queues of) the backup storage", StowageMetrics.StorageLabels);
        _members = f.CreateGauge("stowage_cluster_members", "Live management servers this server sees (1 for a single server)");
        _webhookQueue = f.CreateGauge("stowage_webhook_deliveries_pending", "Webhook deliveries waiting to be sent or retried (all servers)");
    }

    public async Task RefreshAsync(StowageDbContextFactory dbFactory, IBackupStorageOwnership ownership, CancellationToken ct)
    {
        // A scrape that arrives while another reads the database serves the values of the previous read.
        if (Interlocked.Exchange(ref _refreshing, 1) == 1)
        {
            return;
        }

        try
        {
            if (_lastRead != 0 && System.Diagnostics.Stopwatch.GetElapsedTime(_lastRead) < MinInterval)
            {
                return;
            }

            await using var db = dbFactory.CreateDbContext();
            var storages = await db.BackupStorages.AsNoTracking()
                .Select(b => new { b.Uuid, b.Name, b.Type, b.Status, b.State, b.TotalCapacity, b.AvailableCapacity }).ToListAsync(ct);
            var watched = new[] { "Downloading", Corrupted };
            var imageRefs = await db.ImageBackupStorageRefs.Where(r => watched.Contains(r.Status)).GroupBy(r => new { r.BackupStorageUuid, r.Status })
                .Select(g => new { g.Key.BackupStorageUuid, g.Key.Status, Count = g.Count(), Reserved = g.Sum(x => x.ReservedSize) }).ToListAsync(ct);
            var archiveRefs = await db.VolumeArchiveRefs.Where(r => watched.Contains(r.Status)).GroupBy(r => new { r.BackupStorageUuid, r.Status })
                .Select(g => new { g.Key.BackupStorageUuid, g.Key.Status, Count = g.Count(), Reserved = g.Sum(x => x.ReservedSize) }).ToListAsync(ct);
            var refs = imageRefs.Concat(archiveRefs).ToList();
            _webhookQueue.Set(await db.WebhookDeliveries.CountAsync(d => d.Status == Features.Webhooks.WebhookDeliveryStatus.Pending, ct));

            var seen = new HashSet<(string, string, string)>();
            foreach (var bs in storages)
            {
                string[] labels = [bs.Uuid, bs.Name, bs.Type];
                seen.Add((bs.Uuid, bs.Name, bs.Type));
                _total.WithLabels(labels).Set(bs.TotalCapacity);
                _available.WithLabels(labels).Set(bs.AvailableCapacity);
                _reserved.WithLabels(labels).Set(refs.Where(r => r.BackupStorageUuid == bs.Uuid).Sum(r => r.Reserved));
                _corrupted.WithLabels(labels).Set(refs.Where(r => r.BackupStorageUuid == bs.Uuid && r.Status == Corrupted).Sum(r => r.Count));
                _owned.WithLabels(labels).Set(ownership.Owns(bs.Uuid) ? 1 : 0);
                foreach (var s in Statuses)
                {
                    _status.WithLabels([.. labels, s]).Set(bs.Status == s ? 1 : 0);
                }

                foreach (var s in States)
                {
                    _state.WithLabels([.. labels, s]).Set(bs.State == s ? 1 : 0);
                }
            }

            foreach (var (uuid, name, type) in _seen.Where(k => !seen.Contains(k)))
            {
                Remove(uuid, name, type);
            }

            // The ping series are labelled by uuid only: they go when the backup storage is gone (not when it is renamed).
            var uuids = storages.Select(b => b.Uuid).ToHashSet(StringComparer.Ordinal);
            foreach (var gone in _seen.Select(k => k.Item1).Where(u => !uuids.Contains(u)).Distinct())
            {
                _pingSeconds.RemoveLabelled(gone);
                _pingFailures.RemoveLabelled(gone);
            }

            _seen = seen;
            _members.Set(ownership is Cluster.ClusterMembership cluster ? cluster.MemberCount : 1);
            _lastRead = System.Diagnostics.Stopwatch.GetTimestamp();
        }
        finally
        {
            Volatile.Write(ref _refreshing, 0);
        }
    }

    private void Remove(string uuid, string name, string type)
    {

        foreach (var g in new[] { _total, _available, _reserved, _corrupted, _owned })
        {
            g.RemoveLabelled(uuid, name, type);
        }

        foreach (var s in Statuses)
        {
            _status.RemoveLabelled(uuid, name, type, s);
        }

        foreach (var s in States)
        {
            _state.RemoveLabelled(uuid, name, type, s);
        }
    }
}
