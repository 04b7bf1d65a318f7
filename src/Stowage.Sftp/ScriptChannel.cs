using System.Globalization;
using System.Text;
using Renci.SshNet;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>
/// The byte channel a transfer script runs on: its stdin, stdout lines (<c>PID</c> and the result lines) and
/// stderr, and its exit status. Everything else about a transfer (the scripts, feeding, stopping it on the
/// host, the outcome) is the same whichever channel carries it (<see cref="SftpBackupStorageDriver"/>).
/// </summary>
internal abstract class ScriptChannel : IAsyncDisposable
{
    private const int MaxLines = 64;
    private readonly TaskCompletionSource<int> _pid = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private Task? _stdout;
    private Task<string>? _stderr;

    /// <summary>Lines the script printed (at most 64), <c>PID</c> lines excepted.</summary>
    public List<string> Lines { get; } = [];

    /// <summary>The script's process group on the host, from its first line; 0 when its output ended without one.</summary>
    public Task<int> Pid => _pid.Task;

    /// <summary>The script's standard input; disposing it is the end of input.</summary>
    public abstract Stream Input { get; }

    /// <summary>Completes when the script ended and the channel closed; faults when the channel itself failed (SSH.NET).</summary>
    public abstract Task Completion { get; }

    /// <summary>The script's exit status; null when it was killed by a signal (SSH.NET).</summary>
    public abstract int? ExitStatus { get; }

    /// <summary>Whether the script may still run on the host (its channel did not report its end).</summary>
    public virtual bool MayRunOnHost => !Completion.IsCompleted;

    /// <summary>Stdout fully read (the lines are complete).</summary>
    public Task OutputRead => _stdout ?? Task.CompletedTask;

    /// <summary>What the script (or the channel) wrote to stderr, bounded.</summary>
    public Task<string> Errors => _stderr ?? Task.FromResult(string.Empty);

    /// <summary>
    /// The failure of the channel itself, not of the script, once it ended (or, with <paramref name="during"/>,
    /// while feeding failed): null when the exit status is the script's.
    /// </summary>
    public abstract Task<StorageException?> ChannelFailureAsync(Exception? during);

    public abstract ValueTask DisposeAsync();

    protected void StartReading(Stream stdout, Stream stderr, int maxStderr)
    {
        _stdout = Task.Run(() => ReadLines(stdout), CancellationToken.None);
        _stderr = Task.Run(() => ReadBoundedAsync(stderr, maxStderr), CancellationToken.None);
    }

    private void ReadLines(Stream stream)
    {
        try
        {
            using var reader = new StreamReader(stream, Encoding.UTF8, false, 4096, leaveOpen: true);
            while (reader.ReadLine() is { } line)
            {
                if (line.StartsWith("PID ", StringComparison.Ordinal) && int.TryParse(line[4..], NumberStyles.None, CultureInfo.InvariantCulture, out var p))
                {
                    _pid.TrySetResult(p);
                }
                else if (Lines.Count < MaxLines)
                {
                    Lines.Add(line);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // The channel went away: what was read is all there is.
        }
        finally
        {
            _pid.TrySetResult(0);
        }
    }

    private static async Task<string> ReadBoundedAsync(Stream stream, int limit)
    {
        using var collected = new MemoryStream();
        var chunk = new byte[Math.Min(limit, 16 * 1024)];
        try
        {
            int n;
            while ((n = await stream.ReadAsync(chunk)) > 0)
            {
                collected.Write(chunk, 0, (int)Math.Min(n, Math.Max(0, limit - collected.Length)));
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException)
        {
            // As above.
        }

        return Encoding.UTF8.GetString(collected.GetBuffer(), 0, (int)collected.Length);
    }
}

/// <summary>An SSH.NET exec channel on the pooled connection (the fallback, and every non-bulk transfer).</summary>
internal sealed class SshNetScriptChannel : ScriptChannel
{
    private readonly SshCommand _command;
    private readonly SftpConnection _connection;
    private readonly SftpEndpoint _endpoint;
    private Stream? _input;

    private SshNetScriptChannel(SshCommand command, SftpConnection connection, SftpEndpoint endpoint, Task completion)
    {
        (_command, _connection, _endpoint, Completion) = (command, connection, endpoint, completion);
        StartReading(command.OutputStream, command.ExtendedOutputStream, 4 * 1024);
    }

    public override Stream Input => _input ??= _command.CreateInputStream();

    public override Task Completion { get; }

    public override int? ExitStatus => _command.ExitStatus;

    /// <summary>Starts <paramref name="script"/>; throws what SSH.NET throws when the channel cannot open.</summary>
    public static SshNetScriptChannel Start(SshClient client, SftpConnection connection, SftpEndpoint endpoint, string script)
    {
        var command = client.CreateCommand(script);
        command.CommandTimeout = Timeout.InfiniteTimeSpan;
        try
        {
            return new SshNetScriptChannel(command, connection, endpoint, command.ExecuteAsync(CancellationToken.None));
        }
        catch
        {
            command.Dispose();
            throw;
        }
    }

    public override Task<StorageException?> ChannelFailureAsync(Exception? during) => Task.FromResult(
        during is null ? null
        : Completion.IsFaulted || !_connection.IsConnected ? SshFailures.FromCommand(Completion.Exception?.InnerException ?? during, _endpoint)
        : null);

    public override ValueTask DisposeAsync()
    {
        _command.Dispose();
        return ValueTask.CompletedTask;
    }
}
