using Stowage.Core.Errors;

namespace Stowage.Core.Query;

/// <summary>
/// Parses REST <c>q</c> values. Unlike ZStack (which splits at the first operator substring found in
/// a fixed order), the field name is read first and the operator must follow it directly, so an
/// operator inside the value stays part of the value: <c>name=a!=b</c> is name equals <c>a!=b</c>.
/// </summary>
public static class QueryConditionParser
{
    // Longest tokens first so that "!?=" is not read as "!" + "?=".
    private static readonly (string Token, QueryOp Op)[] Operators =
    [
        ("!?=", QueryOp.NotIn), ("!~=", QueryOp.NotLike), ("!=", QueryOp.NotEq), (">=", QueryOp.Ge),
        ("<=", QueryOp.Le), ("~=", QueryOp.Like), ("?=", QueryOp.In), ("=", QueryOp.Eq), (">", QueryOp.Gt), ("<", QueryOp.Lt),
    ];

    public const string ValidOperators = "[=, !=, >, <, >=, <=, ?=, !?=, ~=, !~=, is null, not null]";

    public static QueryCondition Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var i = 0;
        while (i < text.Length && char.IsWhiteSpace(text[i]))
        {
            i++;
        }

        var start = i;
        while (i < text.Length && IsFieldChar(text[i]))
        {
            i++;
        }

        var field = text[start..i];
        if (field.Length == 0 || field.StartsWith('.') || field.EndsWith('.') || field.Contains("..", StringComparison.Ordinal))
        {
            throw Malformed(text);
        }

        var rest = text[i..];
        var trimmed = rest.Trim();
        if (rest.Length > 0 && char.IsWhiteSpace(rest[0]))
        {
            if (trimmed.Equals("is null", StringComparison.OrdinalIgnoreCase))
            {
                return new QueryCondition(field, QueryOp.IsNull, null);
            }

            if (trimmed.Equals("not null", StringComparison.OrdinalIgnoreCase))
            {
                return new QueryCondition(field, QueryOp.NotNull, null);
            }

            rest = rest.TrimStart();
        }

        foreach (var (token, op) in Operators)
        {
            if (rest.StartsWith(token, StringComparison.Ordinal))
            {
                return new QueryCondition(field, op, rest[token.Length..]);
            }
        }

        throw Malformed(text);
    }

    private static bool IsFieldChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '.';

    private static BadRequestException Malformed(string text) => new(
        $"Invalid query parameter. The '{text}' in the parameter[q] doesn't contain any query operator or a valid field name. Valid query operators are {ValidOperators}");
}
