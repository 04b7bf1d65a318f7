using System.Text;

namespace Stowage.Cli.Commands;

/// <summary>Splits an interactive line as a shell would: whitespace separates, "double" and 'single' quotes group.</summary>
public static class Tokenizer
{
    public static List<string> Split(string line)
    {
        var tokens = new List<string>();
        var current = new StringBuilder();
        var inToken = false;
        char quote = '\0';
        for (var i = 0; i < line.Length; i++)
        {
            var c = line[i];
            if (quote != '\0')
            {
                if (c == quote)
                {
                    quote = '\0';
                }
                else if (c == '\\' && quote == '"' && i + 1 < line.Length && line[i + 1] is '"' or '\\')
                {
                    current.Append(line[++i]);
                }
                else
                {
                    current.Append(c);
                }
            }
            else if (c is '"' or '\'')
            {
                quote = c;
                inToken = true;
            }
            else if (char.IsWhiteSpace(c))
            {
                if (inToken)
                {
                    tokens.Add(current.ToString());
                    current.Clear();
                    inToken = false;
                }
            }
            else
            {
                current.Append(c);
                inToken = true;
            }
        }

        if (quote != '\0')
        {
            throw new UsageException("unterminated quote in: " + line);
        }

        if (inToken)
        {
            tokens.Add(current.ToString());
        }

        return tokens;
    }

    /// <summary>Start of the token the cursor is in (for completion), ignoring quotes opened before it.</summary>
    public static int CurrentTokenStart(string textBeforeCursor)
    {
        char quote = '\0';
        var start = 0;
        for (var i = 0; i < textBeforeCursor.Length; i++)
        {
            var c = textBeforeCursor[i];
            if (quote != '\0')
            {
                quote = c == quote ? '\0' : quote;
            }
            else if (c is '"' or '\'')
            {
                quote = c;
            }
            else if (char.IsWhiteSpace(c))
            {
                start = i + 1;
            }
        }

        return start;
    }

    /// <summary>Quotes a value for display or history when it holds spaces or quotes.</summary>
    public static string Quote(string token)
    {
        if (token.Length > 0 && !token.Any(c => char.IsWhiteSpace(c) || c is '"' or '\''))
        {
            return token;
        }

        var eq = token.IndexOf('=', StringComparison.Ordinal);
        var key = eq > 0 && !token[..eq].Any(char.IsWhiteSpace) ? token[..(eq + 1)] : "";
        var value = token[key.Length..];
        return key + "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";
    }
}
