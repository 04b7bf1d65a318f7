using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Stowage.Cli.Output;

/// <summary>
/// A live progress bar per transfer of a job (bytes, percent, rate, ETA), drawn on stderr from the server's
/// task progress so stdout keeps only the result. Drawn only once the job reports bytes; it can be stopped
/// (to ask a question) and starts again with the next report.
/// </summary>
public sealed class ProgressView : IDisposable
{
    private const string RateKey = "rate";
    private const string EtaKey = "eta";

    private readonly IAnsiConsole _console = AnsiConsole.Create(new AnsiConsoleSettings
    {
        Out = new AnsiConsoleOutput(Console.Error),
        Ansi = AnsiSupport.Yes,
        Interactive = InteractionSupport.Yes,
    });

    private JsonArray? _latest;
    private CancellationTokenSource? _stop;
    private Task? _run;

    public void Update(JsonArray inventories)
    {
        Volatile.Write(ref _latest, inventories);
        if (_run is null && Transfers(inventories).Any())
        {
            _stop = new CancellationTokenSource();
            var stop = _stop.Token;
            _run = _console.Progress()
                .AutoClear(false)
                .HideCompleted(false)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new RateColumn())
                .StartAsync(ctx => DrawAsync(ctx, stop));
        }
    }

    /// <summary>Draws the last state once more and stops refreshing.</summary>
    public async Task StopAsync()
    {
        if (_run is null)
        {
            return;
        }

        await _stop!.CancelAsync();
        await _run;
        _stop.Dispose();
        _stop = null;
        _run = null;
    }

    public void Dispose()
    {
        _stop?.Cancel();
        _stop?.Dispose();
    }

    private async Task DrawAsync(ProgressContext ctx, CancellationToken stop)
    {
        var bars = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
        while (true)
        {
            foreach (var t in Transfers(Volatile.Read(ref _latest) ?? []))
            {
                var id = t["taskUuid"]?.GetValue<string>() ?? "";
                var facts = t["opaque"] as JsonObject ?? [];
                if (!bars.TryGetValue(id, out var bar))
                {
                    bar = bars[id] = ctx.AddTask(Label(facts), autoStart: true, maxValue: 1);
                }

                var total = Long(facts["bytesTotal"]);
                var done = Long(facts["bytesDone"]) ?? 0;
                bar.IsIndeterminate = total is null;
                bar.MaxValue = total ?? Math.Max(done, 1);
                bar.Value = Math.Min(done, bar.MaxValue);
                bar.State.Update<double>(RateKey, _ => Long(facts["bytesPerSecond"]) ?? -1);
                bar.State.Update<double>(EtaKey, _ => Long(facts["etaSeconds"]) ?? -1);
            }

            ctx.Refresh();
            if (stop.IsCancellationRequested)
            {
                return;
            }

            try
            {
                await Task.Delay(200, stop);
            }
            catch (OperationCanceledException)
            {
                // One last draw above, then out.
            }
        }
    }

    /// <summary>The job's transfers; a job without any but with a byte count of its own is drawn as one bar.</summary>
    private static IEnumerable<JsonObject> Transfers(JsonArray inventories)
    {
        var all = inventories.OfType<JsonObject>().ToList();
        var children = all.Where(i => i["parentUuid"] is not null && i["opaque"]?["bytesDone"] is not null).ToList();
        return children.Count > 0 ? children : all.Where(i => i["type"]?.GetValue<string>() == "Progress" && i["opaque"]?["bytesTotal"] is not null);
    }

    private static string Label(JsonObject facts)
    {
        var bs = facts["backupStorageUuid"]?.GetValue<string>();
        return bs is null ? "job" : "backup storage " + bs[..Math.Min(8, bs.Length)];
    }

    private static long? Long(JsonNode? node) => node is JsonValue v && v.TryGetValue<long>(out var l) ? l : null;

    /// <summary>The server's smoothed rate and its ETA (not Spectre's own estimate from our sparse updates).</summary>
    private sealed class RateColumn : ProgressColumn
    {
        public override IRenderable Render(RenderOptions options, ProgressTask task, TimeSpan deltaTime)
        {
            var rate = task.State.Get<double>(RateKey);
            var eta = task.State.Get<double>(EtaKey);
            var text = (rate >= 0 ? Bytes(rate) + "/s" : "-") + (eta >= 0 ? "  ETA " + TimeSpan.FromSeconds(eta).ToString(eta >= 3600 ? @"h\:mm\:ss" : @"m\:ss", CultureInfo.InvariantCulture) : "");
            return new Text(text);
        }

        private static string Bytes(double b) => b switch
        {
            >= 1 << 30 => (b / (1 << 30)).ToString("0.0", CultureInfo.InvariantCulture) + " GiB",
            >= 1 << 20 => (b / (1 << 20)).ToString("0.0", CultureInfo.InvariantCulture) + " MiB",
            >= 1 << 10 => (b / (1 << 10)).ToString("0.0", CultureInfo.InvariantCulture) + " KiB",
            _ => b.ToString("0", CultureInfo.InvariantCulture) + " B",
        };
    }
}
