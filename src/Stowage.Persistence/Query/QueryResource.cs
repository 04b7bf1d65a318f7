using Microsoft.EntityFrameworkCore;

namespace Stowage.Persistence.Query;

public enum FieldType
{
    String,
    Int,
    Long,
    Bool,
    Date,
}

/// <summary>
/// A queryable inventory field and the column holding it, or an SQL <see cref="Expression"/> over the
/// row (<c>{t}</c> stands for the row's alias) for fields kept in a type-specific side table.
/// </summary>
public sealed record QueryField(string Name, string Column, FieldType Type = FieldType.String)
{
    public string? Expression { get; init; }

    public string Sql(string alias) =>
        Expression is { } e ? e.Replace("{t}", alias, StringComparison.Ordinal) : alias + "." + SqlConditionBuilder.Q(Column);
}

/// <summary>
/// A hop from one resource to another for nested conditions (<c>zone.name=...</c>): either the
/// target row points back (<see cref="LinkTable"/> null), or a link table joins the two.
/// </summary>
public sealed record QueryRelation(
    string Name,
    string TargetResource,
    string LocalColumn,
    string TargetColumn,
    string? LinkTable = null,
    string? LinkLocalColumn = null,
    string? LinkTargetColumn = null);

/// <summary>
/// A list-valued inventory field kept in a link table (<c>attachedZoneUuids</c>): a condition on it
/// matches rows having at least one matching element.
/// </summary>
public sealed record QueryListField(string Name, string LinkTable, string LinkLocalColumn, string ValueColumn);

/// <summary>
/// What the generic query engine needs to know about one resource. Each feature declares one; the
/// engine turns conditions into SQL over <see cref="Table"/> and materialises entities with EF.
/// </summary>
public abstract class QueryResource
{
    protected QueryResource(string name, string inventoryName, string table, string? tagResourceType)
    {
        Name = name;
        InventoryName = inventoryName;
        Table = table;
        TagResourceType = tagResourceType;
    }

    /// <summary>Query target name, e.g. <c>zone</c>.</summary>
    public string Name { get; }

    /// <summary>Used in messages, e.g. <c>ZoneInventory</c>.</summary>
    public string InventoryName { get; }

    public string Table { get; }

    public string KeyColumn { get; init; } = "uuid";

    /// <summary>Resource type of tags attached to these rows; null when the resource takes no tags.</summary>
    public string? TagResourceType { get; }

    public IReadOnlyList<QueryField> Fields { get; init; } = [];

    public IReadOnlyList<QueryRelation> Relations { get; init; } = [];

    public IReadOnlyList<QueryListField> ListFields { get; init; } = [];

    /// <summary>Inventory fields that can be projected with <c>fields=</c> but not filtered on.</summary>
    public IReadOnlyList<string> ExtraInventoryFields { get; init; } = [];

    /// <summary>A condition always ANDed in (e.g. <c>type = 'User'</c> for user tags), with its parameters.</summary>
    public string? FixedCondition { get; init; }

    public QueryField? FindField(string name) => Fields.FirstOrDefault(f => f.Name == name);

    public bool IsInventoryField(string name) =>
        FindField(name) is not null || ListFields.Any(l => l.Name == name) || ExtraInventoryFields.Contains(name);

    /// <summary>
    /// When set, the engine selects only the keys (in order) and this loader materialises the rows,
    /// so resources spread over several tables (a backup storage and its type-specific row) still
    /// filter, sort and page in SQL.
    /// </summary>
    public Func<StowageDbContext, IReadOnlyList<string>, CancellationToken, Task<IReadOnlyList<object>>>? KeyLoader { get; init; }

    internal abstract Task<IReadOnlyList<object>> LoadAsync(StowageDbContext db, string sql, object[] parameters, CancellationToken cancellationToken);
}

/// <summary>A <see cref="QueryResource"/> whose rows are EF entities of type <typeparamref name="TEntity"/>.</summary>
public sealed class QueryResource<TEntity>(string name, string inventoryName, string table, string? tagResourceType)
    : QueryResource(name, inventoryName, table, tagResourceType)
    where TEntity : class
{
    internal override async Task<IReadOnlyList<object>> LoadAsync(StowageDbContext db, string sql, object[] parameters, CancellationToken cancellationToken)
    {
        var rows = await db.Set<TEntity>().FromSqlRaw(sql, parameters).AsNoTracking().ToListAsync(cancellationToken);
        return rows;
    }
}
