using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Stowage.Server.Hosting;

/// <summary>
/// The console format of the default simple formatter (<c>level: category[event]</c>, the message indented on
/// the next line, or on one line with <c>SingleLine</c>; an optional timestamp from <c>TimestampFormat</c> and
/// <c>UseUtcTimestamp</c>, read from <c>Logging:Console:FormatterOptions</c> as the simple formatter reads them),
/// with every control character of the message escaped (<c>\n</c>, <c>\x1b</c>...): text a client typed (an
/// image name, a url, a host's error output) cannot start a forged log line or drive the terminal. The
/// exception's stack trace, written by the server itself, keeps its lines.
/// </summary>
public sealed class EscapingConsoleFormatter : ConsoleFormatter, IDisposable
{
    public new const string Name = "stowage";

    private readonly IDisposable? _reload;
    private SimpleConsoleFormatterOptions _options;

    public EscapingConsoleFormatter()
        : base(Name) => _options = new SimpleConsoleFormatterOptions();

    public EscapingConsoleFormatter(IOptionsMonitor<SimpleConsoleFormatterOptions> options)
        : base(Name)
    {
        _options = options.CurrentValue;
        _reload = options.OnChange(o => _options = o);
    }

    public void Dispose() => _reload?.Dispose();

    public override void Write<TState>(in LogEntry<TState> logEntry, IExternalScopeProvider? scopeProvider, TextWriter textWriter)
    {
        var message = logEntry.Formatter?.Invoke(logEntry.State, logEntry.Exception);
        if (message is null && logEntry.Exception is null)
        {
            return;
        }

        var options = _options;
        if (options.TimestampFormat is { } format)
        {
            var now = options.UseUtcTimestamp ? DateTimeOffset.UtcNow : DateTimeOffset.Now;
            textWriter.Write(now.ToString(format, System.Globalization.CultureInfo.InvariantCulture));
        }

        textWriter.Write(Level(logEntry.LogLevel));
        textWriter.Write(": ");
        textWriter.Write(logEntry.Category);
        textWriter.Write('[');
        textWriter.Write(logEntry.EventId.Id);
        if (options.SingleLine)
        {
            textWriter.Write("] ");
        }
        else
        {
            textWriter.WriteLine(']');
            textWriter.Write("      ");
        }

        textWriter.WriteLine(Escape(message ?? string.Empty));
        if (logEntry.Exception is { } e)
        {
            textWriter.WriteLine(e.ToString());
        }
    }

    /// <summary>Control and bidirectional-override characters as visible escapes.</summary>
    public static string Escape(string text)
    {
        if (!text.Any(c => char.IsControl(c) || Protocol.TextRules.IsBidiControl(c)))
        {
            return text;
        }

        var b = new System.Text.StringBuilder(text.Length + 16);
        foreach (var c in text)
        {
            b.Append(c switch
            {
                '\n' => "\\n",
                '\r' => "\\r",
                '\t' => "\\t",
                _ when char.IsControl(c) || Protocol.TextRules.IsBidiControl(c) => $"\\u{(int)c:x4}",
                _ => c.ToString(),
            });
        }

        return b.ToString();
    }

    private static string Level(LogLevel level) => level switch
    {
        LogLevel.Trace => "trce",
        LogLevel.Debug => "dbug",
        LogLevel.Information => "info",
        LogLevel.Warning => "warn",
        LogLevel.Error => "fail",
        LogLevel.Critical => "crit",
        _ => "none",
    };
}
