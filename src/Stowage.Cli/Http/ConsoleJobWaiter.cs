using System.Text.Json.Nodes;
using Stowage.Cli.Output;

namespace Stowage.Cli.Http;

/// <summary>
/// Waits for a job at the console. With <c>showProgress</c> the job's task progress is drawn as live bars
/// on stderr. Ctrl-C does not kill the process while a job runs: on a terminal it asks whether to cancel the
/// job; with no terminal to ask on (stdin redirected) it cancels the job at once. A second Ctrl-C after the
/// cancel was sent stops waiting.
/// </summary>
public sealed class ConsoleJobWaiter : IJobWaiter, IDisposable
{
    private readonly object _gate = new();
    private readonly ProgressView? _view;
    private CancellationTokenSource _interrupt = new();
    private string _location = "";
    private bool _cancelSent;

    public ConsoleJobWaiter(bool showProgress)
    {
        _view = showProgress ? new ProgressView() : null;
        Console.CancelKeyPress += OnCancelKeyPress;
    }

    public bool WantsTaskProgress => _view is not null;

    public void Started(string location) => _location = location;

    public void Progress(JsonObject? poll)
    {
        // ZStack's 202 poll body is {}: progress comes from the task-progress API instead.
    }

    public void TaskProgress(JsonArray inventories) => _view?.Update(inventories);

    public Task FinishedAsync() => _view?.StopAsync() ?? Task.CompletedTask;

    public void Cancelled(string? error) =>
        Console.Error.WriteLine(error is null ? $"Cancel requested for job {_location}." : $"The job could not be cancelled: {error}");

    public async Task<WaitOutcome> WaitAsync(TimeSpan delay, CancellationToken cancellationToken)
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
            return WaitOutcome.Continue;
        }
        catch (OperationCanceledException) when (interrupt.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            lock (_gate)
            {
                _interrupt.Dispose();
                _interrupt = new CancellationTokenSource();
            }

            if (_view is not null)
            {
                await _view.StopAsync();
            }

            return Decide();
        }
    }

    private WaitOutcome Decide()
    {
        var err = Console.Error;
        err.WriteLine();
        if (_cancelSent)
        {
            return WaitOutcome.StopWaiting;
        }

        if (!Console.IsInputRedirected)
        {
            err.Write("Cancel the job? [y/N] ");
            var answer = Console.ReadLine();
            if (answer is null || !answer.Trim().StartsWith('y'))
            {
                return WaitOutcome.Continue;
            }
        }

        _cancelSent = true;
        return WaitOutcome.CancelJob;
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
        _view?.Dispose();
    }
}
