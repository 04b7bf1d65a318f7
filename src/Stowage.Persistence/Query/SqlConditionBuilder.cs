using System.Globalization;
using System.Text;
using Stowage.Core.Errors;
using Stowage.Core.Query;

namespace Stowage.Persistence.Query;

/// <summary>
/// Translates parsed conditions into a SQL WHERE clause with bound parameters. Nested names walk
/// relations as IN-subqueries; tag pseudo-fields become subqueries on the tags table. Values are never
/// spliced into SQL text: only column and table names from the registry are.
/// </summary>
internal sealed class SqlConditionBuilder(QueryRegistry registry, bool postgres)
{
    public const string UserTagField = "__userTag__";
    public const string SystemTagField = "__systemTag__";

    private int _aliasCounter;

    public List<object?> Parameters { get; } = [];

    public string Build(QueryResource resource, string alias, IEnumerable<QueryCondition> conditions)
    {
        var parts = new List<string>();
        if (resource.FixedCondition is { } fixedCondition)
        {
            parts.Add(fixedCondition.Replace("{t}", alias, StringComparison.Ordinal));
        }

        foreach (var c in conditions.Distinct())
        {
            parts.Add(Condition(resource, alias, c.Field, c));
        }

        return parts.Count == 0 ? "1=1" : string.Join(" AND ", parts);
    }

    private string Condition(QueryResource resource, string alias, string fieldPath, QueryCondition c)
    {
        if (fieldPath is UserTagField or SystemTagField)
        {
            return TagCondition(resource, alias, fieldPath == UserTagField ? "User" : "System", c);
        }

        if (resource.FindField(fieldPath) is { } field)
        {
            return Compare(field.Sql(alias), field.Type, c.Field, c);
        }

        if (resource.ListFields.FirstOrDefault(l => l.Name == fieldPath) is { } list)
        {
            var la = NextAlias();
            var inner = Compare($"{la}.{Q(list.ValueColumn)}", FieldType.String, fieldPath, c with { Op = Positive(c.Op) });
            return $"{alias}.{Q(resource.KeyColumn)} {(IsNegative(c.Op) ? "NOT IN" : "IN")} (SELECT {la}.{Q(list.LinkLocalColumn)} FROM {Q(list.LinkTable)} {la} WHERE {inner})";
        }

        var dot = fieldPath.IndexOf('.', StringComparison.Ordinal);
        if (dot > 0 && resource.Relations.FirstOrDefault(r => r.Name == fieldPath[..dot]) is { } rel)
        {
            var target = registry.Get(rel.TargetResource);
            var ta = NextAlias();
            var nested = Condition(target, ta, fieldPath[(dot + 1)..], c);
            var targetFixed = target.FixedCondition is { } tf ? " AND " + tf.Replace("{t}", ta, StringComparison.Ordinal) : string.Empty;
            var targetSelect = $"SELECT {ta}.{Q(rel.TargetColumn)} FROM {Q(target.Table)} {ta} WHERE {nested}{targetFixed}";
            if (rel.LinkTable is null)
            {
                return $"{alias}.{Q(rel.LocalColumn)} IN ({targetSelect})";
            }

            var la = NextAlias();
            return $"{alias}.{Q(rel.LocalColumn)} IN (SELECT {la}.{Q(rel.LinkLocalColumn!)} FROM {Q(rel.LinkTable)} {la} WHERE {la}.{Q(rel.LinkTargetColumn!)} IN ({targetSelect}))";
        }

        throw ApiException.Argument($"field[{c.Field}] is not a queryable field of {resource.InventoryName}");
    }

    private string TagCondition(QueryResource resource, string alias, string tagType, QueryCondition c)
    {
        if (resource.TagResourceType is null)
        {
            throw ApiException.Argument($"{resource.InventoryName} has no tags, field[{c.Field}] cannot be queried");
        }

        var ta = NextAlias();
        var typeParam = Param(tagType);
        var rtParam = Param(resource.TagResourceType);
        var inner = Compare($"{ta}.{Q("tag")}", FieldType.String, c.Field, c with { Op = Positive(c.Op) });
        var tagFilter = $"{ta}.{Q("type")} = {typeParam} AND {ta}.{Q("resource_type")} = {rtParam} AND {inner}";
        if (c.Op is QueryOp.Like or QueryOp.NotLike)
        {
            // A pattern cannot use the tag index, so probe per row instead: with ORDER BY key LIMIT n the
            // database stops after n matches rather than scanning every tag first.
            return $"{(IsNegative(c.Op) ? "NOT " : string.Empty)}EXISTS (SELECT 1 FROM {Q("tags")} {ta} WHERE {ta}.{Q("resource_uuid")} = {alias}.{Q(resource.KeyColumn)} AND {tagFilter})";
        }

        // Exact values are selective through the (type, tag) index: collect the few matching resources first.
        return $"{alias}.{Q(resource.KeyColumn)} {(IsNegative(c.Op) ? "NOT IN" : "IN")} (SELECT {ta}.{Q("resource_uuid")} FROM {Q("tags")} {ta} WHERE {tagFilter})";
    }

    private static bool IsNegative(QueryOp op) => op is QueryOp.NotEq or QueryOp.NotIn or QueryOp.NotLike;

    private static QueryOp Positive(QueryOp op) => op switch
    {
        QueryOp.NotEq => QueryOp.Eq,
        QueryOp.NotIn => QueryOp.In,
        QueryOp.NotLike => QueryOp.Like,
        _ => op,
    };

    private string Compare(string column, FieldType type, string fieldName, QueryCondition c)
    {
        switch (c.Op)
        {
            case QueryOp.IsNull:
                return $"{column} IS NULL";
            case QueryOp.NotNull:
                return $"{column} IS NOT NULL";
            case QueryOp.In:
            case QueryOp.NotIn:
                var values = (c.Value ?? string.Empty).Split(',');
                var list = string.Join(", ", values.Select(v => Param(Convert(type, fieldName, v))));
                return $"{column} {(c.Op == QueryOp.In ? "IN" : "NOT IN")} ({list})";
            case QueryOp.Like:
            case QueryOp.NotLike:
                if (type != FieldType.String)
                {
                    throw ApiException.Argument($"operator[{QueryCondition.Token(c.Op)}] can only be used on text fields, field[{fieldName}] is not text");
                }

                // ZStack runs on MySQL whose default collation makes LIKE case-insensitive; SQLite's LIKE
                // already is for ASCII, PostgreSQL needs ILIKE to match. Backslash escapes a wildcard on
                // both databases, as on MySQL; a trailing lone backslash (an error in PostgreSQL) is literal.
                var like = postgres ? "ILIKE" : "LIKE";
                return $"{column} {(c.Op == QueryOp.NotLike ? "NOT " : string.Empty)}{like} {Param(LikePattern(c.Value ?? string.Empty))} ESCAPE '\\'";
            default:
                var op = c.Op switch
                {
                    QueryOp.Eq => "=",
                    QueryOp.NotEq => "<>",
                    QueryOp.Gt => ">",
                    QueryOp.Lt => "<",
                    QueryOp.Ge => ">=",
                    _ => "<=",
                };
                return $"{column} {op} {Param(Convert(type, fieldName, c.Value ?? string.Empty))}";
        }
    }

    private static string LikePattern(string value)
    {
        var trailing = value.Length - value.TrimEnd('\\').Length;
        return trailing % 2 == 1 ? value + "\\" : value;
    }

    internal static object Convert(FieldType type, string fieldName, string value)
    {
        switch (type)
        {
            case FieldType.Int:
                return int.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var i) ? i
                    : throw ApiException.Argument($"value[{value}] of field[{fieldName}] is not an integer");
            case FieldType.Long:
                return long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) ? l
                    : throw ApiException.Argument($"value[{value}] of field[{fieldName}] is not an integer");
            case FieldType.Bool:
                return bool.TryParse(value, out var b) ? b
                    : throw ApiException.Argument($"value[{value}] of field[{fieldName}] is not a boolean(true or false)");
            case FieldType.Date:
                return ZStackDates.TryParse(value, out var d) ? d
                    : throw ApiException.Argument($"value[{value}] of field[{fieldName}] is not a date; use the form 'Jan 1, 2017 9:31:06 AM', ISO 8601 or epoch milliseconds");
            default:
                return value;
        }
    }

    public string Param(object? value)
    {
        Parameters.Add(value);
        return "@p" + (Parameters.Count - 1).ToString(CultureInfo.InvariantCulture);
    }

    private string NextAlias() => "j" + (++_aliasCounter).ToString(CultureInfo.InvariantCulture);

    public static string Q(string identifier)
    {
        var sb = new StringBuilder(identifier.Length + 2);
        sb.Append('"').Append(identifier.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"');
        return sb.ToString();
    }
}
