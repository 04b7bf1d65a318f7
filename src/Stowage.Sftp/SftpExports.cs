using Renci.SshNet.Common;
using Renci.SshNet.Sftp;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>
/// Reading image files out (the export URL) and the read-only direct-fetch key. A download runs through a
/// local OpenSSH <c>ssh</c> child when there is one (<see cref="OpenSshReadStream"/>: OpenSSH's crypto is
/// about twice as fast per byte as SSH.NET's), pinned to the host key SSH.NET checked. Without ssh, or for a
/// login OpenSSH cannot do, it reads over SFTP: not an SSH.NET exec'd <c>cat</c>, whose channel has a 2 GiB
/// receive window and an unbounded buffer, so a slow HTTP client would pile the file up in memory; an SFTP
/// stream keeps at most its read-ahead (≤100 requests × 64 KiB) in flight. See docs/backup-storage.md.
/// </summary>
public sealed partial class SftpBackupStorageDriver : IImageReader, IDirectFetchAccess
{
    private readonly SftpReadClients _readers = new(ConnectTimeout);
    private OpenSshTools? _openSsh = OpenSshTools.Find();

    /// <summary>How export downloads read from the host: <see cref="ExportTransport.Auto"/> uses OpenSSH when it is installed.</summary>
    public ExportTransport ExportTransport { get; set; } = ExportTransport.Auto;

    /// <summary>The OpenSSH client programs found at start, for tests.</summary>
    internal OpenSshTools? OpenSsh => _openSsh;

    /// <summary>For tests: looks the OpenSSH programs up on <paramref name="path"/> instead (an empty directory: none).</summary>
    internal void FindOpenSshOn(string path)
    {
        _openSsh?.Dispose();
        _openSsh = OpenSshTools.Find(path);
    }

    /// <summary>Whether export downloads go through a local OpenSSH client (installed and not turned off).</summary>
    public bool ExportsThroughOpenSsh => _openSsh is not null && ExportTransport != ExportTransport.Sftp;

    public async Task<Stream> OpenReadAsync(BackupStorageTarget target, string installPath, long offset, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var (endpoint, url) = Resolve(target);
        CheckInstallPath(url, installPath);
        if (ExportsThroughOpenSsh && await OpenThroughOpenSshAsync(target, endpoint, installPath, offset, cancellationToken) is { } viaSsh)
        {
            return viaSsh;
        }

        SftpReadClients.Lease lease;
        try
        {
            lease = await _readers.RentAsync(target.Uuid, endpoint, cancellationToken);
        }
        catch (StorageException ex)
        {
            throw Fail(target, ex);
        }

        try
        {
            var file = await lease.Client.OpenAsync(installPath, FileMode.Open, FileAccess.Read, cancellationToken);
            var length = file.Length;
            if (offset > 0)
            {
                file.Seek(Math.Min(offset, length), SeekOrigin.Begin);
            }

            return new LeasedReadStream(file, length, healthy => _readers.Return(target.Uuid, lease, healthy));
        }
        catch (SftpPathNotFoundException)
        {
            _readers.Return(target.Uuid, lease, healthy: true);
            throw new StorageException(StorageFailure.BadLocation, $"image file {installPath} is not on {endpoint.Display}");
        }
        catch (SftpPermissionDeniedException)
        {
            _readers.Return(target.Uuid, lease, healthy: true);
            throw new StorageException(StorageFailure.BadLocation, $"image file {installPath} on {endpoint.Display} is not readable by user {endpoint.Username}");
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            _readers.Return(target.Uuid, lease, healthy: false);
            throw Fail(target, SshFailures.FromCommand(ex, endpoint));
        }
        catch (OperationCanceledException)
        {
            _readers.Return(target.Uuid, lease, healthy: false);
            throw;
        }
    }

    /// <summary>Null when OpenSSH cannot do this login (the SFTP reader then takes it); failures of the host itself are thrown.</summary>
    private async Task<Stream?> OpenThroughOpenSshAsync(BackupStorageTarget target, SftpEndpoint endpoint, string installPath, long offset, CancellationToken cancellationToken)
    {
        // The host key in full as SSH.NET just checked it against the pin: ssh trusts exactly that key.
        string? knownHost;
        try
        {
            var (connection, _) = await _pool.GetAsync(target.Uuid, endpoint, cancellationToken);
            knownHost = KnownHostsLine(connection.HostKeyBlob);
        }
        catch (StorageException ex)
        {
            throw Fail(target, ex);
        }

        if (knownHost is null)
        {
            return null;
        }

        try
        {
            return await OpenSshReadStream.OpenAsync(_openSsh!, endpoint, knownHost, installPath, offset, ConnectTimeout, cancellationToken);
        }
        catch (OpenSshUnusableException ex)
        {
            Log.OpenSshUnusable(_logger, target.Uuid, SshFailures.Safe(ex.Message, endpoint));
            return null;
        }
        catch (StorageException ex) when (ex.Failure != StorageFailure.BadLocation)
        {
            throw Fail(target, ex);
        }
    }

    public SshKeyPair CreateKey(string tag)
    {
        var pair = DownloadKeys.Create();
        return pair with { PublicKey = pair.PublicKey + " " + tag };
    }

    public async Task InstallKeyAsync(BackupStorageTarget target, string publicKey, string tag, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(publicKey);
        var (endpoint, url) = Resolve(target);
        var bare = publicKey.EndsWith(" " + tag, StringComparison.Ordinal) ? publicKey[..^(tag.Length + 1)] : publicKey;
        await EditKeysAsync(target, endpoint, DownloadKeyCommands.Install(url, bare, tag), cancellationToken);
    }

    public async Task RemoveKeyAsync(BackupStorageTarget target, string tag, CancellationToken cancellationToken)
    {
        var (endpoint, _) = Resolve(target);
        await EditKeysAsync(target, endpoint, DownloadKeyCommands.Remove(tag), cancellationToken);
    }

    private async Task EditKeysAsync(BackupStorageTarget target, SftpEndpoint endpoint, string script, CancellationToken cancellationToken)
    {
        var result = await RunAsync(target, endpoint, script, cancellationToken);
        if (result.ExitStatus == 0)
        {
            return;
        }

        var detail = SshFailures.Safe(result.Stderr.Trim(), endpoint);
        throw Fail(target, result.ExitStatus switch
        {
            DownloadKeyCommands.ExitNoSftpServer => new StorageException(StorageFailure.BadLocation, $"no OpenSSH sftp-server found on {endpoint.Display}; direct fetch needs it"),
            DownloadKeyCommands.ExitNoHome => new StorageException(StorageFailure.BadLocation, $"user {endpoint.Username} on {endpoint.Display} has no home directory for ~/.ssh/authorized_keys"),
            _ => new StorageException(StorageFailure.CommandFailed, $"cannot update ~/.ssh/authorized_keys of {endpoint.Username} on {endpoint.Display} (exit {result.ExitStatus}): {detail}"),
        });
    }

    /// <summary>A read-only view of an open SFTP file that gives its session back when disposed.</summary>
    private sealed class LeasedReadStream(SftpFileStream file, long length, Action<bool> release) : Stream
    {
        private bool _healthy = true;
        private int _disposed;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => length;

        public override long Position
        {
            get => file.Position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Guard(() => file.Read(buffer, offset, count));

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            try
            {
                return await file.ReadAsync(buffer, cancellationToken);
            }
            catch
            {
                _healthy = false;
                throw;
            }
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                try
                {
                    file.Dispose();
                }
                catch (Exception ex) when (ex is SshException or ObjectDisposedException or IOException)
                {
                    _healthy = false;
                }

                release(_healthy);
            }

            base.Dispose(disposing);
        }

        private int Guard(Func<int> read)
        {
            try
            {
                return read();
            }
            catch
            {
                _healthy = false;
                throw;
            }
        }
    }
}
