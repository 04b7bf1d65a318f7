using System.Security.Cryptography;
using System.Text;
using Spectre.Console;
using Stowage.Cli.Catalog;
using Stowage.Cli.Http;
using Stowage.Cli.Output;

namespace Stowage.Cli.Commands;

/// <summary>
/// Runs one command line (<c>ApiName key=value ...</c> or <c>help [ApiName]</c>) against the server: every API
/// comes from the catalogue; the only special cases are the session ones (LogIn* hashes the password and
/// saves the session, LogOut uses and forgets it).
/// </summary>
public sealed class CommandRunner(CliHome home, string server, RestClient client, ApiDocument doc, OutputFormat format)
{
    public ApiDocument Document => doc;

    public RestClient Client => client;

    public string Server => server;

    /// <summary>Draw live progress bars (on stderr) for jobs that report task progress.</summary>
    public bool ProgressBars { get; init; }

    /// <summary>Runs and prints; gives the exit code.</summary>
    public async Task<int> RunAsync(IReadOnlyList<string> tokens, CancellationToken cancellationToken)
    {
        try
        {
            await ExecuteAsync(tokens, cancellationToken);
            return ExitCodes.Ok;
        }
        catch (Exception e) when (e is UsageException or ApiCallException or ConnectionException or StoppedWaitingException)
        {
            if (e is ApiCallException { Code: ApiCallException.InvalidSession })
            {
                home.ForgetSession(server);
            }

            return Printer.Error(e);
        }
    }

    private async Task ExecuteAsync(IReadOnlyList<string> tokens, CancellationToken cancellationToken)
    {
        var name = tokens[0];
        if (name is "help" or "--help" or "-h")
        {
            if (tokens.Count > 1)
            {
                HelpPrinter.One(doc, tokens[1]);
            }
            else
            {
                HelpPrinter.All(doc);
            }

            return;
        }

        var api = doc.Find(name) ?? throw new UsageException(
            $"unknown API '{name}'{Suggest.DidYouMean(name, doc.Apis.Select(a => a.Name))}",
            "list them with: stowage-cli help");
        var cmd = ParsedCommand.Parse(api, [.. tokens.Skip(1)]);
        var isLogin = api.Name.StartsWith("LogIn", StringComparison.Ordinal);
        foreach (var p in api.UserParams.Where(p => p.Secret && p.Required && !cmd.Values.ContainsKey(p.Name)))
        {
            cmd.Set(p.Name, PromptSecret(api, p));
        }

        if (isLogin && cmd.Single("password") is { } clear)
        {
            cmd.Set("password", Convert.ToHexStringLower(SHA512.HashData(Encoding.UTF8.GetBytes(clear))));
        }

        var session = home.LoadSession(server);
        var isLogOut = api.Name == "LogOut";
        if (isLogOut && !cmd.Values.ContainsKey("sessionUuid"))
        {
            cmd.Set("sessionUuid", session ?? throw new UsageException($"not logged in to {server}: there is no session to log out"));
        }

        var request = RequestBuilder.Build(cmd);
        if (api.NeedSession)
        {
            client.Session = session ?? throw new UsageException(
                $"not logged in to {server}",
                "log in first: stowage-cli LogInByAccount accountName=admin");
        }

        using var waiter = new ConsoleJobWaiter(ProgressBars);
        var reply = await client.CallAsync(request, waiter, cancellationToken);
        if (isLogin && reply["inventory"]?["uuid"]?.GetValue<string>() is { } uuid)
        {
            home.SaveSession(server, uuid, cmd.Single("accountName"), reply["inventory"]?["expiredDate"]?.ToString());
            home.SaveServer(server);
        }

        if (isLogOut && cmd.Single("sessionUuid") == session)
        {
            home.ForgetSession(server);
        }

        Printer.Result(reply, format);
    }

    private static string PromptSecret(ApiInfo api, ParamInfo p)
    {
        if (Console.IsInputRedirected)
        {
            // Scripts may pipe the secret in: echo "$PW" | stowage-cli LogInByAccount accountName=admin
            return Console.In.ReadLine()
                ?? throw new UsageException($"missing required parameter for {api.Name}: {p.Name}", $"give {p.Name}=..., or type it at the prompt");
        }

        return AnsiConsole.Prompt(new TextPrompt<string>($"{p.Name}:").Secret(null).AllowEmpty());
    }
}
