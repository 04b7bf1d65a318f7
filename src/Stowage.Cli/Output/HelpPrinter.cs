using Spectre.Console;
using Stowage.Cli.Catalog;
using Stowage.Cli.Commands;

namespace Stowage.Cli.Output;

/// <summary><c>help</c> and <c>help ApiName</c>, from the server's catalogue.</summary>
public static class HelpPrinter
{
    public const string Usage = """
        Usage: stowage-cli [--server URL] [--output json|table] ApiName key=value ...
               stowage-cli help [ApiName]
               stowage-cli                      (interactive mode)

        Server: --server URL, else $STOWAGE_SERVER, else the one last logged in to, else http://127.0.0.1:8080.
        Log in first: stowage-cli LogInByAccount accountName=admin   (asks for the password)
        Values with spaces in quotes; lists as a,b; maps as key.sub=value.
        Query commands take conditions: field=value, !=, >, <, >=, <=, ?= (in a,b), !?=, ~= (like), !~=,
        'field is null', 'field not null', and count=true limit= start= sortBy= sortDirection= fields= replyWithCount=true.
        Exit codes: 0 ok, 1 API error, 2 usage error, 3 connection failure.
        """;

    public static void All(ApiDocument doc)
    {
        Console.Out.WriteLine(Usage);
        Console.Out.WriteLine();
        var table = new Table().Border(TableBorder.Simple).AddColumn("API").AddColumn("description");
        foreach (var api in doc.Apis.OrderBy(a => a.Name, StringComparer.Ordinal))
        {
            table.AddRow(new Text(api.Name), new Text(api.Description));
        }

        AnsiConsole.Write(table);
    }

    public static void One(ApiDocument doc, string name)
    {
        var api = doc.Find(name) ?? throw new UsageException($"unknown API '{name}'{Suggest.DidYouMean(name, doc.Apis.Select(a => a.Name))}", "list them with: stowage-cli help");
        Console.Out.WriteLine($"{api.Name}: {api.Description}");
        Console.Out.WriteLine($"  {api.Method} {api.Path}{(api.UuidPath is { } up ? $"  (one by uuid: GET {up})" : "")}  {api.Kind}{(api.NeedSession ? "" : ", no session needed")}");
        if (api.ResultClass is { } rc)
        {
            Console.Out.WriteLine($"  result: {rc}");
        }

        var table = new Table().Border(TableBorder.Simple)
            .AddColumn("parameter").AddColumn("type").AddColumn("optional").AddColumn("choices").AddColumn("default").AddColumn("description");
        foreach (var p in api.UserParams)
        {
            var notes = p.Description;
            if (p.Secret)
            {
                notes += api.Name.StartsWith("LogIn", StringComparison.Ordinal) && p.Name == "password"
                    ? " (give the clear password, or omit it to be asked; the CLI sends its sha512)"
                    : " (secret)";
            }

            table.AddRow(
                new Text(p.Name),
                new Text(p.Type),
                new Text(p.Required ? "required" : "optional"),
                new Text(p.Choices is { } c ? string.Join(", ", c) : ""),
                new Text(p.Default ?? ""),
                new Text(notes));
        }

        AnsiConsole.Write(table);
        if (api.IsQuery)
        {
            Console.Out.WriteLine("Conditions: field<op>value with op one of = != > < >= <= ?= !?= ~= !~=, or 'field is null' / 'field not null'.");
            Console.Out.WriteLine($"Fields: {string.Join(", ", api.QueryFields)}");
            if (api.QueryRelations.Count > 0)
            {
                Console.Out.WriteLine($"Nested: {string.Join(", ", api.QueryRelations.Select(r => $"{r.Key}.<field of {r.Value}>"))}");
            }

            Console.Out.WriteLine($"Example: stowage-cli {api.Name} {(api.QueryFields.Count > 0 ? api.QueryFields[0] : "uuid")}=... limit=10");
        }
    }
}
