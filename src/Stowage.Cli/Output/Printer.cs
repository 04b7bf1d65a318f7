using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;

namespace Stowage.Cli.Output;

public enum OutputFormat
{
    Json,
    Table,
}

/// <summary>Prints replies: the reply JSON pretty-printed as zstack-cli does (default), or Spectre.Console tables.</summary>
public static class Printer
{
    public static readonly JsonSerializerOptions Pretty = new()
    {
        WriteIndented = true,
        IndentSize = 4,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static void Result(JsonObject reply, OutputFormat format)
    {
        // The class-name schema is for SDKs; people and scripts want the inventories.
        reply.Remove("schema");
        if (format == OutputFormat.Json)
        {
            Console.Out.WriteLine(reply.ToJsonString(Pretty));
            return;
        }

        if (Console.IsOutputRedirected)
        {
            // No terminal to fit: do not wrap the table at Spectre's default 80 columns.
            AnsiConsole.Profile.Width = 250;
        }

        if (reply["inventories"] is JsonArray list)
        {
            RowsTable(list.OfType<JsonObject>().ToList());
            if (reply["total"] is { } total)
            {
                AnsiConsole.WriteLine($"total: {total.ToJsonString()}");
            }

            return;
        }

        if (reply["inventory"] is JsonObject one)
        {
            KeyValueTable(one);
            return;
        }

        if (reply.Count > 0)
        {
            KeyValueTable(reply);
        }
    }

    private static void RowsTable(List<JsonObject> rows)
    {
        if (rows.Count == 0)
        {
            AnsiConsole.WriteLine("(no results)");
            return;
        }

        var columns = rows.SelectMany(r => r.Select(p => p.Key)).Distinct(StringComparer.Ordinal).ToList();
        var table = new Table().Border(TableBorder.Rounded);
        foreach (var c in columns)
        {
            table.AddColumn(new TableColumn(new Text(c)));
        }

        foreach (var r in rows)
        {
            table.AddRow([.. columns.Select(c => (Spectre.Console.Rendering.IRenderable)new Text(Cell(r[c])))]);
        }

        AnsiConsole.Write(table);
    }

    private static void KeyValueTable(JsonObject obj)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("field").AddColumn("value");
        foreach (var (key, value) in obj)
        {
            table.AddRow(new Text(key), new Text(Cell(value)));
        }

        AnsiConsole.Write(table);
    }

    private static string Cell(JsonNode? node) => node switch
    {
        null => "",
        JsonValue v when v.TryGetValue<string>(out var s) => s,
        JsonArray a => string.Join(", ", a.Select(Cell)),
        JsonObject o => o.ToJsonString(),
        _ => node.ToJsonString(),
    };

    /// <summary>Writes an error to stderr and gives the exit code for it.</summary>
    public static int Error(Exception e)
    {
        var err = Console.Error;
        switch (e)
        {
            case UsageException u:
                err.WriteLine($"Error: {u.Message}");
                if (u.Hint is not null)
                {
                    err.WriteLine($"  {u.Hint}");
                }

                return ExitCodes.Usage;
            case ApiCallException a:
                err.WriteLine($"Error [{a.Code}]: {a.Description}");
                if (!string.IsNullOrEmpty(a.Details))
                {
                    err.WriteLine($"  details: {a.Details}");
                }

                foreach (var cause in a.Causes)
                {
                    err.WriteLine($"  caused by: {cause}");
                }

                if (a.Code == ApiCallException.InvalidSession)
                {
                    err.WriteLine("  Your session has expired or is not valid: log in again with");
                    err.WriteLine("  stowage-cli LogInByAccount accountName=admin");
                }

                return ExitCodes.ApiError;
            case ConnectionException c:
                err.WriteLine($"Error: {c.Message}");
                err.WriteLine("  Is the server running? Choose it with --server URL or STOWAGE_SERVER.");
                return ExitCodes.Connection;
            case StoppedWaitingException s:
                err.WriteLine($"Stopped waiting. The job goes on on the server; its result: GET {s.Location}");
                return ExitCodes.Interrupted;
            default:
                throw e;
        }
    }
}
