namespace Stowage.Server.Tests.Infrastructure;

/// <summary>Runs a test on SQLite and, when the test script started one, on PostgreSQL.</summary>
public static class Databases
{
    public static TheoryData<Db> Both
    {
        get
        {
            var data = new TheoryData<Db> { Db.Sqlite };
            if (StowageHost.PostgresServer is not null || Environment.GetEnvironmentVariable("STOWAGE_REQUIRE_POSTGRES") == "1")
            {
                data.Add(Db.Postgres);
            }

            return data;
        }
    }
}
