using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
using Stowage.Core.Errors;
using Stowage.Core.Query;

namespace Stowage.Persistence.Query;

public sealed record QueryResult(IReadOnlyList<object>? Rows, long? Total);

/// <summary>Runs a <see cref="QueryRequest"/> against one resource: the database filters, sorts, counts and pages.</summary>
public sealed class QueryExecutor(QueryRegistry registry)
{
    public QueryRegistry Registry => registry;

    public async Task<QueryResult> ExecuteAsync(StowageDbContext db, string resourceName, QueryRequest request, CancellationToken cancellationToken)
    {
        var resource = registry.Get(resourceName);
        if (request.Limit < 0 || request.Start < 0)
        {
            throw ApiException.Argument("'limit' and 'start' must not be negative");
        }

        foreach (var f in request.Fields ?? [])
        {
            if (!resource.IsInventoryField(f))
            {
                throw ApiException.Argument($"field[{f}] in 'fields' is not a field of {resource.InventoryName}");
            }
        }

        var builder = new SqlConditionBuilder(registry, db.IsPostgres);
        var where = builder.Build(resource, "t", request.Conditions);
        var from = $"FROM {SqlConditionBuilder.Q(resource.Table)} t WHERE {where}";

        long? total = null;
        if (request.Count || request.ReplyWithCount)
        {
            total = await CountAsync(db, "SELECT COUNT(*) " + from, builder.Parameters, cancellationToken);
            if (request.Count)
            {
                return new QueryResult(null, total);
            }
        }

        var key = SqlConditionBuilder.Q(resource.KeyColumn);
        string order;
        if (request.SortBy is { } sortBy)
        {
            var field = resource.FindField(sortBy)
                ?? throw ApiException.Argument($"invalid order by clause, inventory[{resource.InventoryName}] doesn't have field[{sortBy}]");
            var dir = request.SortDescending ? "DESC" : "ASC";

            // NULLs sort first ascending, as on MySQL and SQLite; PostgreSQL does the opposite unless told.
            var nulls = db.IsPostgres ? (request.SortDescending ? " NULLS LAST" : " NULLS FIRST") : string.Empty;
            order = $"{field.Sql("t")} {dir}{nulls}, t.{key} {dir}";
        }
        else
        {
            order = $"t.{key} ASC";
        }

        var limit = builder.Param(request.Limit);
        var offset = builder.Param(request.Start);
        if (resource.KeyLoader is { } loader)
        {
            var keySql = $"SELECT t.{key} AS \"Value\" {from} ORDER BY {order} LIMIT {limit} OFFSET {offset}";
            var keys = await db.Database.SqlQueryRaw<string>(keySql, CreateParameters(db, builder.Parameters))
                .ToListAsync(cancellationToken);
            return new QueryResult(await loader(db, keys, cancellationToken), total);
        }

        var sql = $"SELECT t.* {from} ORDER BY {order} LIMIT {limit} OFFSET {offset}";
        var rows = await resource.LoadAsync(db, sql, CreateParameters(db, builder.Parameters), cancellationToken);
        return new QueryResult(rows, total);
    }

    private static async Task<long> CountAsync(StowageDbContext db, string sql, List<object?> parameters, CancellationToken cancellationToken)
    {
        var conn = db.Database.GetDbConnection();
        var opened = false;
        if (conn.State != System.Data.ConnectionState.Open)
        {
            await db.Database.OpenConnectionAsync(cancellationToken);
            opened = true;
        }

        try
        {
            await using var cmd = conn.CreateCommand();
            cmd.CommandText = sql;
            cmd.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            foreach (var p in CreateParameters(db, parameters))
            {
                cmd.Parameters.Add(p);
            }

            var result = await cmd.ExecuteScalarAsync(cancellationToken);
            return Convert.ToInt64(result, System.Globalization.CultureInfo.InvariantCulture);
        }
        finally
        {
            if (opened)
            {
                await db.Database.CloseConnectionAsync();
            }
        }
    }

    private static DbParameter[] CreateParameters(StowageDbContext db, List<object?> values)
    {
        using var cmd = db.Database.GetDbConnection().CreateCommand();
        var result = new DbParameter[values.Count];
        for (var i = 0; i < values.Count; i++)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = "@p" + i.ToString(System.Globalization.CultureInfo.InvariantCulture);
            p.Value = values[i] ?? DBNull.Value;
            result[i] = p;
        }

        return result;
    }
}
