using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>
/// Backup storage on a directory of an SSH host. Commands run over pooled SSH exec channels (no agent is
/// installed on the host); the host key is pinned by its SHA256 fingerprint after the first connect.
/// Register as a singleton <see cref="IBackupStorageDriver"/>; the container disposes it on shutdown.
/// </summary>
public sealed partial class SftpBackupStorageDriver : IBackupStorageDriver, IDisposable, IAsyncDisposable
{
    public const string TypeName = "SftpBackupStorage";

    private const int MaxStdout = 64 * 1024;
    private const int MaxStderr = 4 * 1024;

    private static readonly StorageCapabilities SftpCapabilities = new(ReadsFiles: true, WritesFiles: true, HostPullsFromUrl: true, ExportsOverHttp: true);

    private readonly SftpConnectionPool _pool;
    private readonly ILogger _logger;

    public SftpBackupStorageDriver(ILogger<SftpBackupStorageDriver>? logger = null)
    {
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _pool = new SftpConnectionPool(ConnectTimeout, _logger);
    }

    /// <summary>Limit for opening a connection and logging in.</summary>
    public static TimeSpan ConnectTimeout { get; } = TimeSpan.FromSeconds(10);

    /// <summary>Limit for one short command (probe, marker, df).</summary>
    public static TimeSpan CommandTimeout { get; } = TimeSpan.FromSeconds(60);

    public string Type => TypeName;

    public StorageCapabilities Capabilities => SftpCapabilities;

    public async Task<ConnectResult> ConnectAsync(BackupStorageTarget target, CancellationToken cancellationToken)
    {
        var (endpoint, url) = Resolve(target);
        var result = await RunAsync(target, endpoint, RemoteCommands.Connect(url), cancellationToken);
        var output = Check(result, target, endpoint, url);
        var capacity = output.Capacity ?? throw Unparsable(endpoint, url);
        var learned = new Dictionary<string, string>(StringComparer.Ordinal) { [SftpSettings.HostKey] = result.HostKey };
        return new ConnectResult(capacity, string.IsNullOrEmpty(output.Marker) ? null : output.Marker, learned);
    }

    public async Task WriteMarkerAsync(BackupStorageTarget target, CancellationToken cancellationToken)
    {
        var (endpoint, url) = Resolve(target);
        var result = await RunAsync(target, endpoint, RemoteCommands.WriteMarker(url, target.Uuid), cancellationToken);
        Check(result, target, endpoint, url);
    }

    public async Task RemoveMarkerAsync(BackupStorageTarget target, CancellationToken cancellationToken)
    {
        var (endpoint, url) = Resolve(target);
        var result = await RunAsync(target, endpoint, RemoteCommands.RemoveMarker(url, target.Uuid), cancellationToken);
        Check(result, target, endpoint, url);
    }

    public async Task<StorageCapacity> PingAsync(BackupStorageTarget target, CancellationToken cancellationToken)
    {
        var (endpoint, url) = Resolve(target);
        var result = await RunAsync(target, endpoint, RemoteCommands.Ping(url), cancellationToken);
        var output = Check(result, target, endpoint, url);
        if (string.IsNullOrEmpty(output.Marker))
        {
            throw Fail(target, new StorageException(StorageFailure.IdentityMismatch,
                $"directory {url} on {endpoint.Display} has no identity marker ({RemoteCommands.MarkerFileName}): it was wiped or replaced; reconnect the backup storage"));
        }

        if (!string.Equals(output.Marker, target.Uuid, StringComparison.OrdinalIgnoreCase))
        {
            throw Fail(target, new StorageException(StorageFailure.IdentityMismatch,
                $"directory {url} on {endpoint.Display} is marked as backup storage {output.Marker}, not {target.Uuid}"));
        }

        return output.Capacity ?? throw Unparsable(endpoint, url);
    }

    public async Task<StorageCapacity> GetCapacityAsync(BackupStorageTarget target, CancellationToken cancellationToken)
    {
        var (endpoint, url) = Resolve(target);
        var result = await RunAsync(target, endpoint, RemoteCommands.Capacity(url), cancellationToken);
        return Check(result, target, endpoint, url).Capacity ?? throw Unparsable(endpoint, url);
    }

    public void Forget(string backupStorageUuid)
    {
        _pool.Drop(backupStorageUuid);
        _readers.Drop(backupStorageUuid);
    }

    public void Dispose()
    {
        _pool.Dispose();
        _readers.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        _pool.Dispose();
        _readers.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The cipher negotiated by the pooled connection of a backup storage, or null when none is open.</summary>
    internal string? NegotiatedCipher(string backupStorageUuid) => _pool.Peek(backupStorageUuid)?.Cipher;

    /// <summary>The key exchange of the pooled connection of a backup storage, or null when none is open.</summary>
    internal string? NegotiatedKeyExchange(string backupStorageUuid) => _pool.Peek(backupStorageUuid)?.KeyExchange;

    /// <summary>The pooled connection object of a backup storage (identity only, for tests), or null.</summary>
    internal object? PooledConnection(string backupStorageUuid) => _pool.Peek(backupStorageUuid);

    private static (SftpEndpoint Endpoint, string Url) Resolve(BackupStorageTarget target)
    {
        var endpoint = SftpEndpoint.From(target);
        var url = target.Url;
        if (string.IsNullOrEmpty(url) || url[0] != '/' || url.Contains('\0', StringComparison.Ordinal))
        {
            throw new StorageException(StorageFailure.BadLocation, $"url {url} of SFTP backup storage {target.Uuid} must be an absolute path on {endpoint.Display}");
        }

        return (endpoint, url);
    }

    /// <summary>Runs a script on the pooled connection; a transport failure on a reused connection is retried once on a new one.</summary>
    private async Task<ExecResult> RunAsync(BackupStorageTarget target, SftpEndpoint endpoint, string script, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            SftpConnection connection;
            bool reused;
            try
            {
                (connection, reused) = await _pool.GetAsync(target.Uuid, endpoint, cancellationToken);
            }
            catch (StorageException ex)
            {
                throw Fail(target, ex);
            }

            try
            {
                return await ExecAsync(connection, script, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Only a dead connection is dropped: others may be running commands on it concurrently.
                if (SshFailures.IsTransport(ex) || !connection.IsConnected)
                {
                    _pool.Drop(target.Uuid, connection);
                    if (reused && attempt == 0)
                    {
                        Log.Retrying(_logger, target.Uuid, ex.GetType().Name);
                        continue;
                    }
                }

                throw Fail(target, SshFailures.FromCommand(ex, endpoint));
            }
        }
    }

    private static async Task<ExecResult> ExecAsync(SftpConnection connection, string script, CancellationToken cancellationToken)
    {
        using var command = connection.Client.CreateCommand(script);
        command.CommandTimeout = CommandTimeout;
        await command.ExecuteAsync(cancellationToken);
        var stdout = await ReadBoundedAsync(command.OutputStream, MaxStdout, cancellationToken);
        var stderr = await ReadBoundedAsync(command.ExtendedOutputStream, MaxStderr, cancellationToken);
        return new ExecResult(command.ExitStatus, stdout, stderr, connection.HostKey);
    }

    private static async Task<string> ReadBoundedAsync(Stream stream, int limit, CancellationToken cancellationToken)
    {
        var buffer = new byte[limit];
        var filled = 0;
        while (filled < limit)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(filled, limit - filled), cancellationToken);
            if (n == 0)
            {
                break;
            }

            filled += n;
        }

        return Encoding.UTF8.GetString(buffer, 0, filled);
    }

    /// <summary>Turns the script's exit status into the failure it stands for, or returns what it printed.</summary>
    private ProbeOutput Check(ExecResult result, BackupStorageTarget target, SftpEndpoint endpoint, string url)
    {
        if (result.ExitStatus == 0)
        {
            return RemoteCommands.ParseProbe(result.Stdout);
        }

        var stderr = SshFailures.Safe(result.Stderr.Trim(), endpoint);
        var detail = stderr.Length == 0 ? string.Empty : $": {stderr}";
        var where = $"{url} on {endpoint.Display}";
        var ex = result.ExitStatus switch
        {
            RemoteCommands.ExitNotDirectory => new StorageException(StorageFailure.BadLocation, $"url {where} exists and is not a directory (a regular file or another kind of file)"),
            RemoteCommands.ExitMkdirFailed => new StorageException(StorageFailure.BadLocation, $"cannot create directory {where} as user {endpoint.Username}{detail}"),
            RemoteCommands.ExitNotWritable => new StorageException(StorageFailure.BadLocation, $"directory {where} is not writable by user {endpoint.Username}"),
            RemoteCommands.ExitMissingDirectory => new StorageException(StorageFailure.BadLocation, $"directory {where} does not exist"),
            RemoteCommands.ExitDfFailed => new StorageException(StorageFailure.BadLocation, $"cannot measure the capacity of {where} (GNU df with --output is required){detail}"),
            null => new StorageException(StorageFailure.CommandFailed, $"a command on {endpoint.Display} was killed{detail}"),
            _ => new StorageException(StorageFailure.CommandFailed, $"a command on {endpoint.Display} failed with exit status {result.ExitStatus}{detail}"),
        };
        throw Fail(target, ex);
    }

    private static StorageException Unparsable(SftpEndpoint endpoint, string url) =>
        new(StorageFailure.CommandFailed, $"could not read the capacity of {url} on {endpoint.Display} from df's output");

    private StorageException Fail(BackupStorageTarget target, StorageException ex)
    {
        Log.Failed(_logger, target.Uuid, ex.Message);
        return ex;
    }

    private sealed record ExecResult(int? ExitStatus, string Stdout, string Stderr, string HostKey);
}
