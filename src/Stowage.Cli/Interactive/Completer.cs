using System.Text.Json.Nodes;
using Stowage.Cli.Catalog;
using Stowage.Cli.Commands;
using Stowage.Cli.Http;

namespace Stowage.Cli.Interactive;

/// <summary>A completion: the text that replaces the current token, and what the list shows.</summary>
public sealed record Candidate(string Insert, string Display);

/// <summary>
/// Tab completion from the catalogue: API names, then parameter names (and, for queries, field names), then
/// values: choices, true/false, and for uuid parameters the uuids of existing resources (asked from the server).
/// </summary>
public sealed class Completer(CliHome home, CommandRunner runner)
{
    public static readonly IReadOnlyList<string> Builtins = ["help", "exit", "quit"];

    public async Task<(int Start, IReadOnlyList<Candidate> Candidates)> CompleteAsync(string beforeCursor, CancellationToken cancellationToken)
    {
        var start = Tokenizer.CurrentTokenStart(beforeCursor);
        var prefix = beforeCursor[start..];
        List<string> previous;
        try
        {
            previous = Tokenizer.Split(beforeCursor[..start]);
        }
        catch (UsageException)
        {
            return (start, []);
        }

        var doc = runner.Document;
        if (previous.Count == 0 || (previous.Count == 1 && previous[0] == "help"))
        {
            var names = doc.Apis.Select(a => a.Name).Concat(previous.Count == 0 ? Builtins : []);
            return (start, Match(names.Select(n => new Candidate(n, n)), prefix));
        }

        if (doc.Find(previous[0]) is not { } api)
        {
            return (start, []);
        }

        var eq = prefix.IndexOf('=', StringComparison.Ordinal);
        if (eq < 0)
        {
            var used = previous.Skip(1).Select(t => t.Split('=')[0]).ToHashSet(StringComparer.Ordinal);
            var names = api.UserParams.Where(p => !used.Contains(p.Name) || p.Type == "list").Select(p => new Candidate(p.Name + (p.Type == "map" ? "." : "="), p.Name));
            if (api.IsQuery)
            {
                names = api.QueryFields.Select(f => new Candidate(f + "=", f))
                    .Concat(api.QueryRelations.Keys.Select(r => new Candidate(r + ".", r + ".")))
                    .Concat(names);
            }

            return (start, Match(names, prefix));
        }

        var key = prefix[..eq];
        var valuePrefix = prefix[(eq + 1)..];
        var param = api.FindParam(key);
        if (param is null && api.IsQuery && api.QueryFields.Contains(key) && key.EndsWith("uuid", StringComparison.OrdinalIgnoreCase))
        {
            param = new ParamInfo { Name = key, ResourceType = api.ResourceType };
        }

        if (param is null)
        {
            return (start, []);
        }

        IEnumerable<string> values = param switch
        {
            { Choices: { Count: > 0 } c } => c,
            { Type: "bool" } => ["true", "false"],
            { IsUuid: true } => await UuidsAsync(api, param, cancellationToken),
            _ => [],
        };
        var listHead = param.Type == "list" && valuePrefix.LastIndexOf(',') is var comma and >= 0 ? valuePrefix[..(comma + 1)] : "";
        return (start, Match(values.Select(v => new Candidate(key + "=" + listHead + v.Split(' ')[0], v)), prefix));
    }

    private static List<Candidate> Match(IEnumerable<Candidate> candidates, string prefix) =>
        [.. candidates.Where(c => c.Insert.StartsWith(prefix, StringComparison.OrdinalIgnoreCase)).DistinctBy(c => c.Insert).OrderBy(c => c.Insert, StringComparer.Ordinal)];

    /// <summary>"uuid name" of the resources the parameter can name, or nothing when that cannot be asked.</summary>
    private async Task<IReadOnlyList<string>> UuidsAsync(ApiInfo api, ParamInfo param, CancellationToken cancellationToken)
    {
        if (runner.Document.QueryFor(api, param) is not { } query || home.LoadSession(runner.Server) is not { } session)
        {
            return [];
        }

        try
        {
            runner.Client.Session = session;
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(5));
            var reply = await runner.Client.CallAsync(new CallRequest("GET", query.Path + "?fields=uuid,name&limit=200", null, true, false, query.Name), NoWait.Instance, timeout.Token);
            return [.. (reply["inventories"] as JsonArray ?? []).OfType<JsonObject>()
                .Select(i => $"{i["uuid"]?.GetValue<string>()} {i["name"]?.GetValue<string>()}".Trim())];
        }
        catch (Exception e) when (e is ApiCallException or ConnectionException or OperationCanceledException)
        {
            return [];
        }
    }

    private sealed class NoWait : IJobWaiter
    {
        public static readonly NoWait Instance = new();

        public void Started(string location)
        {
        }

        public void Progress(JsonObject? poll)
        {
        }

        public Task<WaitOutcome> WaitAsync(TimeSpan delay, CancellationToken cancellationToken) => Task.FromResult(WaitOutcome.StopWaiting);
    }
}
