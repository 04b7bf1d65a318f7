using System.Text.Json.Nodes;

namespace Stowage.Cli.Http;

/// <summary>
/// Waits for a job at the console. Ctrl-C does not kill the process while a job runs: it asks whether to
/// stop waiting (the job goes on; cancelling server jobs does not exist yet). With no terminal to ask on,
/// Ctrl-C stops waiting at once.
/// </summary>
public sealed class ConsoleJobWaiter : IJobWaiter, IDisposable
{
    private readonly object _gate = new();
    private CancellationTokenSource _interrupt = new();
    private string _location = "";

    public ConsoleJobWaiter()
    {
        Console.CancelKeyPress += OnCancelKeyPress;
    }

    public void Started(string location) => _location = location;

    public void Progress(JsonObject? poll)
    {
        // TODO(issue 7): a live progress bar (bytes, percent, rate, ETA) once the server reports task
        // progress on the job poll; the 202 body is {} today.
    }

    public async Task<bool> WaitAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        CancellationTokenSource interrupt;
        lock (_gate)
        {
            interrupt = _interrupt;
        }

        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, interrupt.Token);
        try
        {
            await Task.Delay(delay, linked.Token);
            return true;
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            lock (_gate)
            {
                _interrupt.Dispose();
                _interrupt = new CancellationTokenSource();
            }

            return !AskToStop();
        }
    }

    private bool AskToStop()
    {
        var err = Console.Error;
        err.WriteLine();
        if (Console.IsInputRedirected)
        {
            return true;
        }

        err.Write($"The job {_location} is still running. Stop waiting? It goes on on the server: cancelling server jobs is not supported yet. [y/N] ");
        var answer = Console.ReadLine();
        return answer is not null && answer.Trim().StartsWith('y');
    }

    private void OnCancelKeyPress(object? sender, ConsoleCancelEventArgs e)
    {
        e.Cancel = true;
        lock (_gate)
        {
            _interrupt.Cancel();
        }
    }

    public void Dispose()
    {
        Console.CancelKeyPress -= OnCancelKeyPress;
        _interrupt.Dispose();
    }
}
