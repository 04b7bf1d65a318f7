using Stowage.Persistence;

namespace Stowage.Server.Hosting;

/// <summary>
/// Start-up settings from the command line (<c>--data-dir</c>, <c>--postgres</c>, <c>--urls</c>,
/// <c>--export-transport</c>, <c>--write-transport</c>) or the environment (<c>STOWAGE_DATA_DIR</c>, <c>STOWAGE_POSTGRES</c>,
/// <c>STOWAGE_ADMIN_PASSWORD</c>, <c>STOWAGE_EXPORT_TRANSPORT</c>, <c>STOWAGE_WRITE_TRANSPORT</c>),
/// validated before anything listens.
/// </summary>
public sealed record StowageSettings(string DataDir, DatabaseSettings Database, string? AdminPassword, IReadOnlyList<string> Urls)
{
    /// <summary>Membership timing and the address other servers reach this one at (PostgreSQL only).</summary>
    public ClusterSettings Cluster { get; init; } = ClusterSettings.Default;

    /// <summary>
    /// <c>--export-transport</c> as given (null when not): how export downloads read from SSH hosts, <c>auto</c>
    /// (OpenSSH when installed) or <c>sftp</c>; the SSH storage type that reads it checks it at start.
    /// </summary>
    public string? ExportTransport { get; init; }

    /// <summary>
    /// <c>--write-transport</c> as given (null when not): how streamed writes and uploads reach SSH hosts, <c>auto</c>
    /// (OpenSSH when installed) or <c>sshnet</c>; the SSH storage type that reads it checks it at start.
    /// </summary>
    public string? WriteTransport { get; init; }

    /// <summary>
    /// <c>--default-backup-storage</c>: the directory of the FileSystem backup storage the server adds at start
    /// when none has that url (a relative path is under the data directory); null when off.
    /// </summary>
    public string? DefaultBackupStorage { get; init; }

    /// <summary><c>--metrics-anonymous</c>: who reads <c>/metrics</c> without a session (default: loopback peers only).</summary>
    public Monitoring.MetricsAccess MetricsAccess { get; init; } = Monitoring.MetricsAccess.LoopbackOnly;

    public const string DefaultUrl = "http://127.0.0.1:8080";

    public static StowageSettings From(IConfiguration config)
    {
        var dataDir = FirstNonEmpty(config["data-dir"], config["STOWAGE_DATA_DIR"]) ?? "./stowage-data";
        dataDir = Path.GetFullPath(dataDir);
        var postgres = FirstNonEmpty(config["postgres"], config["STOWAGE_POSTGRES"]);
        var database = postgres is not null
            ? DatabaseSettings.ForPostgres(postgres)
            : DatabaseSettings.ForSqliteFile(Path.Combine(dataDir, "stowage.db"));
        var urls = (FirstNonEmpty(config["urls"], config["ASPNETCORE_URLS"]) ?? DefaultUrl)
            .Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var url in urls)
        {
            if (!Uri.TryCreate(url.Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal), UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new InvalidOperationException($"invalid --urls entry '{url}': expected http://host:port");
            }
        }

        return new StowageSettings(dataDir, database, FirstNonEmpty(config["STOWAGE_ADMIN_PASSWORD"], config["admin-password"]), urls)
        {
            Cluster = ClusterSettings.From(
                FirstNonEmpty(config["cluster-heartbeat"], config["STOWAGE_CLUSTER_HEARTBEAT"]),
                FirstNonEmpty(config["cluster-dead-after"], config["STOWAGE_CLUSTER_DEAD_AFTER"]),
                FirstNonEmpty(config["advertise-url"], config["STOWAGE_ADVERTISE_URL"]),
                FirstNonEmpty(config["cluster-secret-file"], config["STOWAGE_CLUSTER_SECRET_FILE"])),
            ExportTransport = FirstNonEmpty(config["export-transport"], config["STOWAGE_EXPORT_TRANSPORT"]),
            WriteTransport = FirstNonEmpty(config["write-transport"], config["STOWAGE_WRITE_TRANSPORT"]),
            MetricsAccess = Monitoring.MetricsAccess.Parse(FirstNonEmpty(config["metrics-anonymous"], config["STOWAGE_METRICS_ANONYMOUS"])),
            DefaultBackupStorage = ParseDefaultBackupStorage(FirstNonEmpty(config["default-backup-storage"], config["STOWAGE_DEFAULT_BACKUP_STORAGE"]), dataDir),
        };
    }

    /// <summary>Off when unset or <c>off</c>; a relative directory lies under the data directory.</summary>
    private static string? ParseDefaultBackupStorage(string? text, string dataDir)
    {
        text = text?.Trim();
        if (text is null || text.Equals("off", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var path = Path.GetFullPath(Path.Combine(dataDir, text)).TrimEnd('/');
        return path.Length == 0 || path.Contains('\0', StringComparison.Ordinal)
            ? throw new InvalidOperationException($"invalid --default-backup-storage '{text}': expected a directory (absolute, or relative to the data directory) or off")
            : path;
    }

    private static string? FirstNonEmpty(params string?[] values) => values.FirstOrDefault(v => !string.IsNullOrWhiteSpace(v));
}
