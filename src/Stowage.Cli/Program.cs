using Stowage.Cli;
using Stowage.Cli.Catalog;
using Stowage.Cli.Commands;
using Stowage.Cli.Http;
using Stowage.Cli.Interactive;
using Stowage.Cli.Output;

string? serverOption = null;
var format = OutputFormat.Json;
var explicitJson = false;
var tokens = new List<string>();
try
{
    for (var i = 0; i < args.Length; i++)
    {
        var a = args[i];
        string Next() => i + 1 < args.Length ? args[++i] : throw new UsageException($"{a} needs a value");
        if (a == "--server")
        {
            serverOption = Next();
        }
        else if (a.StartsWith("--server=", StringComparison.Ordinal))
        {
            serverOption = a["--server=".Length..];
        }
        else if (a is "--output" or "-o" || a.StartsWith("--output=", StringComparison.Ordinal))
        {
            var value = a.Contains('=', StringComparison.Ordinal) ? a[(a.IndexOf('=', StringComparison.Ordinal) + 1)..] : Next();
            explicitJson = value == "json";
            format = value switch
            {
                "json" => OutputFormat.Json,
                "table" => OutputFormat.Table,
                _ => throw new UsageException($"--output takes json or table, not '{value}'"),
            };
        }
        else if (a.StartsWith("--", StringComparison.Ordinal) && a is not "--help")
        {
            throw new UsageException($"unknown option '{a}'", "options: --server URL, --output json|table");
        }
        else
        {
            tokens.Add(a);
        }
    }

    var home = CliHome.FromEnvironment();
    var server = home.ResolveServer(serverOption);
    using var client = new RestClient(server);
    using var cts = new CancellationTokenSource();
    ApiDocument doc;
    try
    {
        doc = await CatalogStore.LoadAsync(home, client, server, cts.Token);
    }
    catch (ConnectionException) when (tokens.Count > 0 && tokens[0] is "help" or "--help" or "-h")
    {
        Console.Out.WriteLine(HelpPrinter.Usage);
        throw;
    }

    // Bars go to stderr, but only for a person at a terminal: an explicit --output json asks for machine output.
    var runner = new CommandRunner(home, server, client, doc, format)
    {
        ProgressBars = !explicitJson && !Console.IsOutputRedirected && !Console.IsErrorRedirected,
    };
    if (tokens.Count == 0)
    {
        return await new Repl(home, runner).RunAsync(cts.Token);
    }

    return await runner.RunAsync(tokens, cts.Token);
}
catch (Exception e) when (e is UsageException or ConnectionException)
{
    return Printer.Error(e);
}
