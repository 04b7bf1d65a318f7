using Prometheus;

namespace Stowage.Server.Monitoring;

/// <summary>
/// The server's Prometheus metrics, in a registry of its own (tests run several servers in one process, so the
/// library's static default registry would mix them). Counters and histograms are updated where the work happens
/// (cheap: one atomic add); the per-backup-storage gauges are read from the database when scraped
/// (<see cref="ScrapeGauges"/>). Names follow Prometheus conventions: base units, <c>_bytes</c>, <c>_seconds</c>,
/// <c>_total</c> on counters.
/// </summary>
public sealed class StowageMetrics
{
    internal static readonly string[] StorageLabels = ["uuid", "name", "type"];

    public StowageMetrics()
    {
        var f = Prometheus.Metrics.WithCustomRegistry(Registry);
        PingSeconds = f.CreateHistogram("stowage_backup_storage_ping_duration_seconds", "Time a ping of a Connected backup storage took, failed ones included",
            new HistogramConfiguration { LabelNames = ["uuid"], Buckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });
        PingFailures = f.CreateCounter("stowage_backup_storage_ping_failures_total", "Pings that failed (the backup storage became Disconnected)", "uuid");
        TransferBytes = f.CreateCounter("stowage_transfer_bytes_total", "Bytes moved into (in) or out of (out) backup storages, by data path", "direction", "path");
        TransferSeconds = f.CreateHistogram("stowage_transfer_duration_seconds", "Wall time of finished transfers, by data path and outcome",
            new HistogramConfiguration { LabelNames = ["direction", "path", "outcome"], Buckets = Histogram.ExponentialBuckets(0.1, 4, 9) });
        ApiRequests = f.CreateCounter("stowage_api_requests_total", "REST API requests by API name and HTTP status", "api", "code");
        ApiSeconds = f.CreateHistogram("stowage_api_request_duration_seconds", "Time to answer a REST API request (an async API answers 202 once its job is queued)",
            new HistogramConfiguration { LabelNames = ["api"], Buckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10] });
        Jobs = f.CreateCounter("stowage_jobs_total", "Async API jobs finished on this server, by API name and outcome (Succeeded, Failed, Canceled)", "api", "outcome");
        WebhookDeliveries = f.CreateCounter("stowage_webhook_deliveries_total", "Webhook delivery attempts by outcome (delivered, failed, dropped)", "outcome");
        Events = f.CreateCounter("stowage_events_total", "Backup storage events raised on this server, by path", "path");
        VerifiedBytes = f.CreateCounter("stowage_verification_bytes_total", "Stored bytes re-read by copy verification, by outcome (ok, corrupted, failed)", "outcome");
        VerificationSeconds = f.CreateHistogram("stowage_verification_duration_seconds", "Wall time of one copy's verification, by outcome",
            new HistogramConfiguration { LabelNames = ["outcome"], Buckets = Histogram.ExponentialBuckets(0.1, 4, 9) });
        Gauges = new ScrapeGauges(f, PingSeconds, PingFailures);
    }

    public CollectorRegistry Registry { get; } = Prometheus.Metrics.NewCustomRegistry();

    public Histogram PingSeconds { get; }

    public Counter PingFailures { get; }

    public Counter TransferBytes { get; }

    public Histogram TransferSeconds { get; }

    public Counter ApiRequests { get; }

    public Histogram ApiSeconds { get; }

    public Counter Jobs { get; }

    public Counter WebhookDeliveries { get; }

    public Counter Events { get; }

    public Counter VerifiedBytes { get; }

    public Histogram VerificationSeconds { get; }

    internal ScrapeGauges Gauges { get; }

    /// <summary>A copy's verification ended (for the verification work: <paramref name="outcome"/> is ok, corrupted or failed).</summary>
    public void Verified(string outcome, long bytes, TimeSpan duration)
    {
        VerifiedBytes.WithLabels(outcome).Inc(Math.Max(0, bytes));
        VerificationSeconds.WithLabels(outcome).Observe(duration.TotalSeconds);
    }

    /// <summary>A transfer ended: its bytes and wall time. <paramref name="path"/> names the data path (http, file, sftp, copy, upload, export).</summary>
    public void Transferred(string direction, string path, long bytes, TimeSpan duration, string outcome)
    {
        if (bytes > 0)
        {
            TransferBytes.WithLabels(direction, path).Inc(bytes);
        }

        TransferSeconds.WithLabels(direction, path, outcome).Observe(duration.TotalSeconds);
    }
}
