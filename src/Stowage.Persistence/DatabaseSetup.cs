using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Stowage.Persistence;

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>Which database to use and how to reach it; built from the server's command line or environment.</summary>
public sealed record DatabaseSettings(DatabaseProvider Provider, string ConnectionString)
{
    public static DatabaseSettings ForSqliteFile(string path) =>
        new(DatabaseProvider.Sqlite, new SqliteConnectionStringBuilder { DataSource = path, Pooling = true, DefaultTimeout = 30 }.ToString());

    public static DatabaseSettings ForPostgres(string connectionString) => new(DatabaseProvider.Postgres, connectionString);
}

/// <summary>
/// Creates a short-lived context per unit of work. Options are built once; the concrete subclass only
/// decides which migration set applies.
/// </summary>
public sealed class StowageDbContextFactory
{
    private readonly DbContextOptions<SqliteStowageDbContext>? _sqlite;
    private readonly DbContextOptions<PostgresStowageDbContext>? _postgres;

    public StowageDbContextFactory(DatabaseSettings settings)
    {
        Settings = settings;
        if (settings.Provider == DatabaseProvider.Sqlite)
        {
            _sqlite = new DbContextOptionsBuilder<SqliteStowageDbContext>()
                .UseSqlite(settings.ConnectionString)
                .AddInterceptors(new SqlitePragmaInterceptor())
                .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning))
                .Options;
        }
        else
        {
            _postgres = new DbContextOptionsBuilder<PostgresStowageDbContext>()
                .UseNpgsql(settings.ConnectionString)
                .ConfigureWarnings(w => w.Ignore(RelationalEventId.PendingModelChangesWarning))
                .Options;
        }
    }

    public DatabaseSettings Settings { get; }

    public StowageDbContext CreateDbContext() =>
        _sqlite is not null ? new SqliteStowageDbContext(_sqlite) : new PostgresStowageDbContext(_postgres!);

    /// <summary>Applies the provider's migrations; SQLite also switches to WAL so readers never wait for the writer.</summary>
    public async Task MigrateAsync(CancellationToken cancellationToken)
    {
        await using var db = CreateDbContext();
        if (Settings.Provider == DatabaseProvider.Sqlite)
        {
            await db.Database.OpenConnectionAsync(cancellationToken);
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        }

        await db.Database.MigrateAsync(cancellationToken);
    }
}

/// <summary>Per-connection SQLite settings: durable enough with WAL, and foreign keys enforced.</summary>
internal sealed class SqlitePragmaInterceptor : DbConnectionInterceptor
{
    public override void ConnectionOpened(System.Data.Common.DbConnection connection, ConnectionEndEventData eventData)
    {
        using var cmd = connection.CreateCommand();
        cmd.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;";
        cmd.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(System.Data.Common.DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;";
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }
}
