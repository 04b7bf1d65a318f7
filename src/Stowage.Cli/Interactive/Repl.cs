using Stowage.Cli.Commands;
using Stowage.Cli.Output;

namespace Stowage.Cli.Interactive;

/// <summary>
/// The interactive mode: a prompt, the same commands as the one-shot form, history kept in
/// <c>~/.config/stowage/history</c> (secret values left out), Tab completion. <c>exit</c>, <c>quit</c> or Ctrl-D end it.
/// </summary>
public sealed class Repl(CliHome home, CommandRunner runner)
{
    public const string Prompt = "stowage >>> ";
    private const int HistoryLimit = 1000;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var history = LoadHistory();
        var completer = new Completer(home, runner);
        var editor = new LineEditor(completer.CompleteAsync, history);
        Console.Out.WriteLine($"Stowage CLI on {runner.Server}. 'help' lists the APIs, Tab completes, 'exit' quits.");
        while (true)
        {
            var line = await editor.ReadLineAsync(Prompt, cancellationToken);
            if (line is null)
            {
                return ExitCodes.Ok;
            }

            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            List<string> tokens;
            try
            {
                tokens = Tokenizer.Split(line);
            }
            catch (UsageException e)
            {
                Printer.Error(e);
                continue;
            }

            if (tokens[0] is "exit" or "quit")
            {
                return ExitCodes.Ok;
            }

            var remembered = RequestBuilder.Redact(runner.Document.Find(tokens[0]), tokens);
            if (history.Count == 0 || history[^1] != remembered)
            {
                history.Add(remembered);
                CliHome.AppendPrivate(home.HistoryFile, remembered);
            }

            await runner.RunAsync(tokens, cancellationToken);
        }
    }

    private List<string> LoadHistory()
    {
        if (!File.Exists(home.HistoryFile))
        {
            return [];
        }

        var lines = File.ReadAllLines(home.HistoryFile).Where(l => l.Length > 0).ToList();
        if (lines.Count > HistoryLimit)
        {
            lines = lines[^HistoryLimit..];
            CliHome.WritePrivate(home.HistoryFile, string.Join('\n', lines) + "\n");
        }

        return lines;
    }
}
