using System.Diagnostics;
using System.Text.Json.Nodes;

namespace Stowage.Cli.Tests.Infrastructure;

public sealed record CliResult(int ExitCode, string Out, string Err)
{
    public JsonObject Json => JsonNode.Parse(Out) as JsonObject ?? throw new InvalidOperationException("stdout is not a JSON object:\n" + this);

    public JsonObject Inventory => Json["inventory"]!.AsObject();

    public JsonArray Inventories => Json["inventories"]!.AsArray();

    public override string ToString() => $"exit {ExitCode}\n--- stdout:\n{Out}\n--- stderr:\n{Err}";
}

/// <summary>
/// Runs the built stowage-cli as a separate process (<c>dotnet Stowage.Cli.dll</c>) with HOME pointed at a
/// fresh temp directory, so its config, session, history and cache land in <c>$HOME/.config/stowage</c>.
/// </summary>
public sealed class CliSandbox : IDisposable
{
    public CliSandbox(string? server)
    {
        Server = server;
        Home = Directory.CreateTempSubdirectory("stowage-cli-home-").FullName;
    }

    public string? Server { get; }

    public string Home { get; }

    public string ConfigDir => Path.Combine(Home, ".config", "stowage");

    public static string CliDll { get; } = LocateCli();

    /// <summary>
    /// Starts <paramref name="fileName"/> with SIGINT and SIGQUIT at their defaults, as a terminal starts a command:
    /// a test run launched as a background job of a non-interactive shell inherits them ignored, and an ignored
    /// SIGINT stays ignored across exec, so the Ctrl-C tests would test nothing the user sees.
    /// </summary>
    public ProcessStartInfo InterruptibleStartInfo(string fileName, IEnumerable<string> args) =>
        StartInfo("python3", ["-c", DefaultSignalsThenExec, fileName, .. args]);

    private const string DefaultSignalsThenExec =
        "import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); signal.signal(signal.SIGQUIT, signal.SIG_DFL); os.execvp(sys.argv[1], sys.argv[1:])";

    public ProcessStartInfo StartInfo(string fileName, IEnumerable<string> args)
    {
        var psi = new ProcessStartInfo(fileName)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment.Remove("XDG_CONFIG_HOME");
        psi.Environment.Remove("STOWAGE_SERVER");
        psi.Environment["HOME"] = Home;
        psi.Environment["DOTNET_NOLOGO"] = "1";
        psi.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        if (Server is not null)
        {
            psi.Environment["STOWAGE_SERVER"] = Server;
        }

        return psi;
    }

    public Task<CliResult> RunAsync(params string[] args) => RunWithInputAsync(null, args);

    /// <summary>Runs one command line; <paramref name="stdin"/> is piped in (then closed).</summary>
    public async Task<CliResult> RunWithInputAsync(string? stdin, params string[] args)
    {
        using var p = Process.Start(StartInfo("dotnet", [CliDll, .. args]))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (stdin is not null)
        {
            await p.StandardInput.WriteAsync(stdin);
        }

        p.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90));
        try
        {
            await p.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"stowage-cli {string.Join(' ', args)} did not finish:\n{await stdout}\n{await stderr}");
        }

        return new CliResult(p.ExitCode, await stdout, await stderr);
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Home, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private static string LocateCli()
    {
        // tests/Stowage.Cli.Tests/bin/<Configuration>/net10.0/ → src/Stowage.Cli/bin/<Configuration>/net10.0/Stowage.Cli.dll
        var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = baseDir.Name;
        var configuration = baseDir.Parent!.Name;
        var root = baseDir;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Stowage.sln")))
        {
            root = root.Parent;
        }

        var dll = Path.Combine(root?.FullName ?? throw new InvalidOperationException("repository root not found"), "src", "Stowage.Cli", "bin", configuration, tfm, "Stowage.Cli.dll");
        return File.Exists(dll) ? dll : throw new InvalidOperationException($"{dll} is missing: build src/Stowage.Cli first");
    }
}
