using System.Diagnostics;
using System.Text;

namespace Stowage.Cli.Tests.Infrastructure;

/// <summary>
/// The CLI's interactive mode on a pseudo-terminal: util-linux <c>script -qfc</c> gives it a tty.
/// The command line starts with exec: script runs it with $SHELL -c, and when that is dash (CI has no
/// SHELL, so /bin/sh) the shell stays as the CLI's parent and a Ctrl-C on the terminal kills it, ending
/// script with 130 while the CLI still runs.
/// Keys are written to script's stdin and the screen (with the editor's escape sequences) is read from its stdout.
/// </summary>
public sealed class PtySession : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _screen = new();
    private readonly Task _reader;
    private int _searchFrom;

    private PtySession(Process process)
    {
        _process = process;
        _reader = Task.Run(ReadAsync);
    }

    public string Screen
    {
        get
        {
            lock (_screen)
            {
                return _screen.ToString();
            }
        }
    }

    public static PtySession Start(CliSandbox sandbox)
    {
        var psi = sandbox.InterruptibleStartInfo("script", ["-qfc", $"exec dotnet '{CliSandbox.CliDll}'", "/dev/null"]);
        psi.Environment["TERM"] = "xterm";
        return new PtySession(Process.Start(psi)!);
    }

    /// <summary>One command line (not the interactive mode) on a terminal.</summary>
    public static PtySession StartCommand(CliSandbox sandbox, params string[] args)
    {
        var line = string.Join(' ', args.Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        var psi = sandbox.InterruptibleStartInfo("script", ["-qefc", $"exec dotnet '{CliSandbox.CliDll}' {line}", "/dev/null"]);
        psi.Environment["TERM"] = "xterm";
        return new PtySession(Process.Start(psi)!);
    }

    public async Task SendAsync(string keys)
    {
        await _process.StandardInput.WriteAsync(keys);
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>Waits until <paramref name="text"/> appears after the previous match.</summary>
    public async Task ExpectAsync(string text, int timeoutSeconds = 30)
    {
        var deadline = DateTime.UtcNow.AddSeconds(timeoutSeconds);
        while (DateTime.UtcNow < deadline)
        {
            var screen = Screen;
            var at = screen.IndexOf(text, _searchFrom, StringComparison.Ordinal);
            if (at >= 0)
            {
                _searchFrom = at + text.Length;
                return;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"'{text}' did not appear on the terminal:\n{Screen[_searchFrom..]}");
    }

    /// <summary>Sends exit and waits for the CLI (and script) to end.</summary>
    public async Task<int> ExitAsync()
    {
        await SendAsync("exit\r");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await _process.WaitForExitAsync(timeout.Token);
        await _reader;
        return _process.ExitCode;
    }

    /// <summary>Waits for a command started with <see cref="StartCommand"/> to end; script passes its exit code on.</summary>
    public async Task<int> WaitForExitAsync(int timeoutSeconds = 90)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(timeoutSeconds));
        await _process.WaitForExitAsync(timeout.Token);
        await _reader;
        return _process.ExitCode;
    }

    private async Task ReadAsync()
    {
        var buffer = new char[4096];
        int n;
        while ((n = await _process.StandardOutput.ReadAsync(buffer)) > 0)
        {
            lock (_screen)
            {
                _screen.Append(buffer, 0, n);
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
