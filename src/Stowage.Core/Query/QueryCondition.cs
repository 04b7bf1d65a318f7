namespace Stowage.Core.Query;

public enum QueryOp
{
    Eq,
    NotEq,
    Gt,
    Lt,
    Ge,
    Le,
    In,
    NotIn,
    Like,
    NotLike,
    IsNull,
    NotNull,
}

/// <summary>One parsed <c>q</c> condition; <see cref="Value"/> is null only for the null tests.</summary>
public sealed record QueryCondition(string Field, QueryOp Op, string? Value)
{
    public static string Token(QueryOp op) => op switch
    {
        QueryOp.Eq => "=",
        QueryOp.NotEq => "!=",
        QueryOp.Gt => ">",
        QueryOp.Lt => "<",
        QueryOp.Ge => ">=",
        QueryOp.Le => "<=",
        QueryOp.In => "?=",
        QueryOp.NotIn => "!?=",
        QueryOp.Like => "~=",
        QueryOp.NotLike => "!~=",
        QueryOp.IsNull => " is null",
        _ => " not null",
    };

    public override string ToString() => Field + Token(Op) + Value;
}

/// <summary>A whole query: conditions ANDed, then paging, ordering and projection.</summary>
public sealed record QueryRequest(
    IReadOnlyList<QueryCondition> Conditions,
    int Limit = QueryRequest.DefaultLimit,
    int Start = 0,
    bool Count = false,
    bool ReplyWithCount = false,
    string? SortBy = null,
    bool SortDescending = false,
    IReadOnlyList<string>? Fields = null)
{
    public const int DefaultLimit = 1000;
}
