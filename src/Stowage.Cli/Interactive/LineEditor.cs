using System.Text;

namespace Stowage.Cli.Interactive;

/// <summary>
/// A small line editor for the interactive mode: editing keys, Up/Down through the history, Tab completion
/// (a unique match is inserted, a common prefix is extended, otherwise the choices are listed). Ctrl-C clears
/// the line, Ctrl-D on an empty line ends the session. Without a terminal it reads plain lines.
/// </summary>
public sealed class LineEditor(Func<string, CancellationToken, Task<(int Start, IReadOnlyList<Candidate> Candidates)>> complete, List<string> history)
{
    private readonly StringBuilder _buffer = new();
    private int _pos;
    private string _prompt = "";

    public async Task<string?> ReadLineAsync(string prompt, CancellationToken cancellationToken)
    {
        if (Console.IsInputRedirected)
        {
            Console.Write(prompt);
            return Console.In.ReadLine();
        }

        _prompt = prompt;
        _buffer.Clear();
        _pos = 0;
        var historyIndex = history.Count;
        Console.Write(prompt);
        var treatCtrlC = Console.TreatControlCAsInput;
        Console.TreatControlCAsInput = true;
        try
        {
            while (true)
            {
                cancellationToken.ThrowIfCancellationRequested();
                var key = Console.ReadKey(intercept: true);
                var ctrl = (key.Modifiers & ConsoleModifiers.Control) != 0;
                switch (key.Key)
                {
                    case ConsoleKey.Enter:
                        Console.WriteLine();
                        return _buffer.ToString();
                    case ConsoleKey.Tab:
                        await CompleteAsync(cancellationToken);
                        break;
                    case ConsoleKey.Backspace when _pos > 0:
                        _buffer.Remove(--_pos, 1);
                        break;
                    case ConsoleKey.Delete when _pos < _buffer.Length:
                        _buffer.Remove(_pos, 1);
                        break;
                    case ConsoleKey.LeftArrow when _pos > 0:
                        _pos--;
                        break;
                    case ConsoleKey.RightArrow when _pos < _buffer.Length:
                        _pos++;
                        break;
                    case ConsoleKey.Home:
                    case ConsoleKey.A when ctrl:
                        _pos = 0;
                        break;
                    case ConsoleKey.End:
                    case ConsoleKey.E when ctrl:
                        _pos = _buffer.Length;
                        break;
                    case ConsoleKey.U when ctrl:
                        _buffer.Clear();
                        _pos = 0;
                        break;
                    case ConsoleKey.UpArrow when historyIndex > 0:
                        Replace(history[--historyIndex]);
                        break;
                    case ConsoleKey.DownArrow when historyIndex < history.Count:
                        historyIndex++;
                        Replace(historyIndex < history.Count ? history[historyIndex] : "");
                        break;
                    case ConsoleKey.C when ctrl:
                        Console.WriteLine("^C");
                        _buffer.Clear();
                        _pos = 0;
                        historyIndex = history.Count;
                        break;
                    case ConsoleKey.D when ctrl:
                        if (_buffer.Length == 0)
                        {
                            Console.WriteLine();
                            return null;
                        }

                        break;
                    default:
                        if (key.KeyChar != '\0' && !char.IsControl(key.KeyChar))
                        {
                            _buffer.Insert(_pos++, key.KeyChar);
                        }

                        break;
                }

                Render();
            }
        }
        finally
        {
            Console.TreatControlCAsInput = treatCtrlC;
        }
    }

    private void Replace(string text)
    {
        _buffer.Clear().Append(text);
        _pos = text.Length;
    }

    private void Render()
    {
        var back = _buffer.Length - _pos;
        Console.Write("\r" + _prompt + _buffer + "\u001b[K" + (back > 0 ? $"\u001b[{back}D" : ""));
    }

    private async Task CompleteAsync(CancellationToken cancellationToken)
    {
        var before = _buffer.ToString(0, _pos);
        var (start, candidates) = await complete(before, cancellationToken);
        if (candidates.Count == 0)
        {
            return;
        }

        var token = before[start..];
        string insert;
        if (candidates.Count == 1)
        {
            insert = candidates[0].Insert;
            if (!insert.EndsWith('=') && !insert.EndsWith('.') && (_pos == _buffer.Length || _buffer[_pos] != ' '))
            {
                insert += " ";
            }
        }
        else
        {
            insert = CommonPrefix(candidates.Select(c => c.Insert).ToList());
            if (insert.Length <= token.Length)
            {
                Console.WriteLine();
                Console.WriteLine(string.Join("  ", candidates.Select(c => c.Display)));
                Console.Write(_prompt);
                return;
            }
        }

        _buffer.Remove(start, _pos - start).Insert(start, insert);
        _pos = start + insert.Length;
    }

    private static string CommonPrefix(List<string> items)
    {
        var first = items[0];
        var n = first.Length;
        foreach (var s in items.Skip(1))
        {
            n = Math.Min(n, s.Length);
            for (var i = 0; i < n; i++)
            {
                if (char.ToLowerInvariant(s[i]) != char.ToLowerInvariant(first[i]))
                {
                    n = i;
                    break;
                }
            }
        }

        return first[..n];
    }
}
