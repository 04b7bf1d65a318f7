using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Stowage.Persistence;

/// <summary>SQLite flavour: owns Migrations/Sqlite.</summary>
public sealed class SqliteStowageDbContext(DbContextOptions<SqliteStowageDbContext> options) : StowageDbContext(options);

/// <summary>PostgreSQL flavour: owns Migrations/Postgres.</summary>
public sealed class PostgresStowageDbContext(DbContextOptions<PostgresStowageDbContext> options) : StowageDbContext(options);

/// <summary>Used only by <c>dotnet ef migrations add --context SqliteStowageDbContext</c>.</summary>
public sealed class SqliteDesignFactory : IDesignTimeDbContextFactory<SqliteStowageDbContext>
{
    public SqliteStowageDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<SqliteStowageDbContext>().UseSqlite("Data Source=design.db").Options);
}

/// <summary>Used only by <c>dotnet ef migrations add --context PostgresStowageDbContext</c>.</summary>
public sealed class PostgresDesignFactory : IDesignTimeDbContextFactory<PostgresStowageDbContext>
{
    public PostgresStowageDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<PostgresStowageDbContext>().UseNpgsql("Host=127.0.0.1;Database=design").Options);
}
