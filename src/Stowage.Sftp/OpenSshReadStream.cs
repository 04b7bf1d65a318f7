using System.Diagnostics;
using System.Globalization;
using System.Text;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>
/// An export download read through an OpenSSH <c>ssh</c> child running <see cref="RemoteCommands.ReadFile"/>:
/// OpenSSH's C crypto does the decryption, so the server only copies a pipe into the HTTP response. Memory
/// stays bounded by the pipe (1 MiB) and ssh's channel window; a slow client stops ssh reading, which stops
/// the host's <c>cat</c>. Disposing kills the child (and its agent) and removes its files.
/// </summary>
internal sealed partial class OpenSshReadStream : Stream
{
    private const int PipeSize = 1024 * 1024;
    private const int MaxStderr = 4 * 1024;
    private const int MaxSizeLine = 32;

    private readonly Process _process;
    private readonly Stream _stdout;
    private readonly Task<string> _stderr;
    private readonly string[] _files;
    private byte[] _head = [];
    private int _headStart;
    private long _position;
    private int _disposed;

    private OpenSshReadStream(Process process, string[] files)
    {
        _process = process;
        _stdout = process.StandardOutput.BaseStream;
        _files = files;
        _stderr = DrainAsync(process.StandardError.BaseStream);
        TryEnlargePipe(_stdout);
    }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    /// <summary>The whole file's size as the host reported it.</summary>
    public override long Length => FileLength;

    public override long Position
    {
        get => _position;
        set => throw new NotSupportedException();
    }

    private long FileLength { get; set; }

    /// <summary>
    /// Starts ssh and waits for the size line. Throws <see cref="StorageException"/> for a missing file, a
    /// refused login or a changed host key, and <see cref="OpenSshUnusableException"/> when OpenSSH cannot do
    /// this login at all (no ssh-agent, a key format ssh-add cannot load) so the caller can read over SFTP.
    /// </summary>
    public static async Task<OpenSshReadStream> OpenAsync(
        OpenSshTools tools, SftpEndpoint endpoint, string knownHostsLine, string path, long offset, TimeSpan connectTimeout, CancellationToken cancellationToken)
    {
        var usesKey = endpoint.Secret.Kind != StorageSecretKind.Password;
        var (process, files) = await OpenSshChild.StartAsync(tools, endpoint, knownHostsLine, RemoteCommands.ReadFile(path, offset), connectTimeout, stdinCarriesData: false, cancellationToken);
        var stream = new OpenSshReadStream(process, files);
        try
        {
            if (usesKey)
            {
                // The key travels over the pipe to ssh-add; closing stdin ends its input.
                try
                {
                    await process.StandardInput.BaseStream.WriteAsync(OpenSshCommand.KeyBytes(endpoint), cancellationToken);
                    process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // The agent ended before taking the key; its exit status says why (below).
                }
            }

            using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            limit.CancelAfter(connectTimeout + SftpBackupStorageDriver.CommandTimeout);
            var size = await stream.ReadSizeLineAsync(limit.Token);
            if (size is null)
            {
                throw await stream.FailureAsync(endpoint, path, cancellationToken);
            }

            stream.FileLength = size.Value;
            stream._position = Math.Min(offset, size.Value);
            return stream;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await stream.DisposeAsync();
            throw new StorageException(StorageFailure.Timeout, $"timed out opening {path} on {endpoint.Display} over ssh");
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        int n;
        if (_headStart < _head.Length)
        {
            n = Math.Min(buffer.Length, _head.Length - _headStart);
            _head.AsMemory(_headStart, n).CopyTo(buffer);
            _headStart += n;
        }
        else
        {
            n = await _stdout.ReadAsync(buffer, cancellationToken);
        }

        _position += n;
        return n;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Stop();
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            try
            {
                await _process.WaitForExitAsync(wait.Token);
            }
            catch (OperationCanceledException)
            {
                // Killed and reaped by the runtime later; the files go now either way.
            }

            Release();
        }

        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing && Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            Stop();
            _process.WaitForExit(TimeSpan.FromSeconds(5));
            Release();
        }

        base.Dispose(disposing);
    }

    /// <summary>Reads up to the first newline; the bytes after it are the file's and are served first.</summary>
    private async Task<long?> ReadSizeLineAsync(CancellationToken cancellationToken)
    {
        var buffer = new byte[64 * 1024];
        var filled = 0;
        while (true)
        {
            var n = await _stdout.ReadAsync(buffer.AsMemory(filled), cancellationToken);
            if (n == 0)
            {
                return null;
            }

            filled += n;
            var newline = Array.IndexOf(buffer, (byte)'\n', 0, filled);
            if (newline < 0)
            {
                if (filled > MaxSizeLine)
                {
                    return null;
                }

                continue;
            }

            var text = Encoding.ASCII.GetString(buffer, 0, newline);
            _head = buffer[(newline + 1)..filled];
            return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var size) ? size : null;
        }
    }

    private void Stop() => OpenSshChild.Kill(_process);

    private void Release()
    {
        _stdout.Dispose();
        _process.Dispose();
        OpenSshChild.DeleteFiles(_files);
    }
}

/// <summary>OpenSSH cannot do this login (no agent, a key format ssh-add cannot load): the SFTP reader can.</summary>
internal sealed class OpenSshUnusableException(string message) : Exception(message);
