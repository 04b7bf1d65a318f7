using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>
/// Backup storage on a directory of an SSH host (no agent is installed on the host). Connect, ping,
/// capacity and the identity marker are SFTP requests on one pooled session per backup storage; image
/// transfers and deletes run shell commands over exec channels of a second session opened on first use.
/// The host key is pinned by its SHA256 fingerprint after the first connect.
/// Register as a singleton <see cref="IBackupStorageDriver"/>; the container disposes it on shutdown.
/// </summary>
public sealed partial class SftpBackupStorageDriver : IBackupStorageDriver, IConnectionWatch, IStoredFileVerifier, IDisposable, IAsyncDisposable
{
    public const string TypeName = "SftpBackupStorage";

    private const int MaxStdout = 64 * 1024;
    private const int MaxStderr = 4 * 1024;

    private static readonly StorageCapabilities SftpCapabilities = new(
        ReadsFiles: true, WritesFiles: true, HostPullsFromUrl: true, ExportsOverHttp: true,
        HostToHostCopy: true, DirectFetchKeys: true, ResumableUpload: true, CopiesHostFiles: true, VerifiesStoredFiles: true);

    private readonly SftpConnectionPool _pool;
    private readonly ILogger _logger;

    public SftpBackupStorageDriver(ILogger<SftpBackupStorageDriver>? logger = null)
    {
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _pool = new SftpConnectionPool(ConnectTimeout, _logger, uuid => ConnectionLost?.Invoke(uuid));
    }

    public event Action<string>? ConnectionLost;

    /// <summary>Limit for opening a connection and logging in.</summary>
    public static TimeSpan ConnectTimeout { get; } = TimeSpan.FromSeconds(10);

    /// <summary>Limit for one short command (probe, marker, df).</summary>
    public static TimeSpan CommandTimeout { get; } = TimeSpan.FromSeconds(60);

    /// <summary>An exec session unused for this long is closed at the next ping (it reopens on demand).</summary>
    public TimeSpan ExecIdleTimeout { get; set; } = TimeSpan.FromMinutes(2);

    public string Type => TypeName;

    public StorageCapabilities Capabilities => SftpCapabilities;

    public async Task<ConnectResult> ConnectAsync(BackupStorageTarget target, CancellationToken cancellationToken)
    {
        var (endpoint, url) = Resolve(target);
        // A known backup storage's directory is never re-created (see BackupStorageTarget.Known).
        var (output, hostKey) = await SftpAsync(target, endpoint, (sftp, ct) => SftpProbe.RunAsync(sftp, endpoint, url, create: !target.Known, ct), cancellationToken);
        var learned = new Dictionary<string, string>(StringComparer.Ordinal) { [SftpSettings.HostKey] = hostKey };
        return new ConnectResult(output.Capacity, string.IsNullOrEmpty(output.Marker) ? null : output.Marker, learned);
    }

    public async Task WriteMarkerAsync(BackupStorageTarget target, CancellationToken cancellationToken)
    {
        var (endpoint, url) = Resolve(target);
        await SftpAsync(target, endpoint, async (sftp, ct) =>
        {
            await SftpProbe.WriteMarkerAsync(sftp, endpoint, url, target.Uuid, ct);
            return true;
        }, cancellationToken);
    }

    public async Task RemoveMarkerAsync(BackupStorageTarget target, CancellationToken cancellationToken)
    {
        var (endpoint, url) = Resolve(target);
        await SftpAsync(target, endpoint, async (sftp, ct) =>
        {
            await SftpProbe.RemoveMarkerAsync(sftp, url, target.Uuid, ct);
            return true;
        }, cancellationToken);
    }

    /// <summary>
    /// Directory present, writable (a subdirectory is created and removed), marker equal to the uuid, and
    /// the capacity: SFTP requests on the pooled session, no process started on the host.
    /// </summary>
    public async Task<StorageCapacity> PingAsync(BackupStorageTarget target, CancellationToken cancellationToken)
    {
        var (endpoint, url) = Resolve(target);
        var (output, _) = await SftpAsync(target, endpoint, (sftp, ct) => SftpProbe.RunAsync(sftp, endpoint, url, create: false, ct), cancellationToken);
        _pool.Peek(target.Uuid)?.CloseIdleExec(ExecIdleTimeout);
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

        return output.Capacity;
    }

    public async Task<StorageCapacity> GetCapacityAsync(BackupStorageTarget target, CancellationToken cancellationToken)
    {
        var (endpoint, url) = Resolve(target);
        var (capacity, _) = await SftpAsync(target, endpoint, (sftp, ct) => SftpProbe.CapacityAsync(sftp, endpoint, url, ct), cancellationToken);
        return capacity;
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
        _openSsh?.Dispose();
    }

    public ValueTask DisposeAsync()
    {
        _pool.Dispose();
        _readers.Dispose();
        _openSsh?.Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>The cipher negotiated by the pooled connection of a backup storage, or null when none is open.</summary>
    internal string? NegotiatedCipher(string backupStorageUuid) => _pool.Peek(backupStorageUuid)?.Cipher;

    /// <summary>The key exchange of the pooled connection of a backup storage, or null when none is open.</summary>
    internal string? NegotiatedKeyExchange(string backupStorageUuid) => _pool.Peek(backupStorageUuid)?.KeyExchange;

    /// <summary>Whether the pooled connection of a backup storage has opened its exec session (for tests).</summary>
    internal bool HasExecSession(string backupStorageUuid) => _pool.Peek(backupStorageUuid)?.HasExecSession ?? false;

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

    /// <summary>
    /// Runs SFTP requests on the pooled connection, bounded by <see cref="CommandTimeout"/>, and returns
    /// their result with the connection's host key; a transport failure on a reused connection is retried
    /// once on a new one.
    /// </summary>
    private async Task<(T Result, string HostKey)> SftpAsync<T>(BackupStorageTarget target, SftpEndpoint endpoint, Func<Renci.SshNet.SftpClient, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
    {
        return await OnConnectionAsync(target, endpoint, async (connection, ct) =>
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
            limit.CancelAfter(CommandTimeout);
            try
            {
                return (await work(connection.Sftp, limit.Token), connection.HostKey);
            }
            catch (OperationCanceledException ex) when (limit.IsCancellationRequested && !ct.IsCancellationRequested)
            {
                throw new StorageException(StorageFailure.Timeout, $"SFTP requests on {endpoint.Display} timed out after {CommandTimeout.TotalSeconds:0} s", ex);
            }
        }, cancellationToken);
    }

    /// <summary>Runs a script over an exec channel; a transport failure on a reused connection is retried once on a new one.</summary>
    private Task<ExecResult> RunAsync(BackupStorageTarget target, SftpEndpoint endpoint, string script, CancellationToken cancellationToken, byte[]? input = null, int stdoutLimit = MaxStdout) =>
        OnConnectionAsync(target, endpoint, (connection, ct) => ExecAsync(connection, script, ct, input, stdoutLimit), cancellationToken);

    private async Task<T> OnConnectionAsync<T>(BackupStorageTarget target, SftpEndpoint endpoint, Func<SftpConnection, CancellationToken, Task<T>> work, CancellationToken cancellationToken)
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
                return await work(connection, cancellationToken);
            }
            catch (StorageException ex)
            {
                throw Fail(target, ex);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                // Only a dead connection is dropped: others may be running commands on it concurrently.
                if (SshFailures.IsTransport(ex) || !connection.IsConnected)
                {
                    _pool.DropBroken(target.Uuid, connection);
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

    private static async Task<ExecResult> ExecAsync(SftpConnection connection, string script, CancellationToken cancellationToken, byte[]? input = null, int stdoutLimit = MaxStdout)
    {
        using var lease = await connection.ExecClientAsync(cancellationToken);
        using var command = lease.Client.CreateCommand(script);
        command.CommandTimeout = CommandTimeout;
        if (input is null)
        {
            await command.ExecuteAsync(cancellationToken);
        }
        else
        {
            var exec = command.ExecuteAsync(cancellationToken);
            using (var stdin = command.CreateInputStream())
            {
                await stdin.WriteAsync(input, cancellationToken);
            }

            await exec;
        }

        var stdout = await ReadBoundedAsync(command.OutputStream, stdoutLimit, cancellationToken);
        var stderr = await ReadBoundedAsync(command.ExtendedOutputStream, MaxStderr, cancellationToken);
        return new ExecResult(command.ExitStatus, stdout, stderr, connection.HostKey);
    }

    /// <summary>Reads at most <paramref name="limit"/> bytes; the buffer grows with what arrives, not to the limit up front.</summary>
    private static async Task<string> ReadBoundedAsync(Stream stream, int limit, CancellationToken cancellationToken)
    {
        using var collected = new MemoryStream();
        var chunk = new byte[Math.Min(limit, 16 * 1024)];
        while (collected.Length < limit)
        {
            var n = await stream.ReadAsync(chunk.AsMemory(0, (int)Math.Min(chunk.Length, limit - collected.Length)), cancellationToken);
            if (n == 0)
            {
                break;
            }

            collected.Write(chunk, 0, n);
        }

        return Encoding.UTF8.GetString(collected.GetBuffer(), 0, (int)collected.Length);
    }

    private StorageException Fail(BackupStorageTarget target, StorageException ex)
    {
        Log.Failed(_logger, target.Uuid, ex.Message);
        return ex;
    }

    private sealed record ExecResult(int? ExitStatus, string Stdout, string Stderr, string HostKey);
}
