using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Stowage.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class HashedSessions : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            // Sessions are now kept as hashes: rows holding a clear session id are dropped (their users log in
            // again), and so are the clear ids jobs recorded.
            migrationBuilder.Sql("DELETE FROM sessions;");
            migrationBuilder.Sql("UPDATE api_jobs SET session_uuid = NULL;");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {

        }
    }
}
