using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Stowage.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class LongJobsAndStorageGc : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "long_jobs",
                columns: table => new
                {
                    uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    description = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    api_id = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    job_name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    job_data = table.Column<string>(type: "text", nullable: false),
                    job_result = table.Column<string>(type: "text", nullable: true),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    target_resource_uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    management_node_uuid = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    create_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    last_op_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_long_jobs", x => x.uuid);
                });

            migrationBuilder.CreateTable(
                name: "storage_gc_jobs",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    backup_storage_uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    install_path = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    resource_uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    resource_type = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    reason = table.Column<string>(type: "text", nullable: false),
                    attempts = table.Column<int>(type: "integer", nullable: false),
                    create_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    last_attempt_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_storage_gc_jobs", x => x.id);
                    table.ForeignKey(
                        name: "FK_storage_gc_jobs_backup_storages_backup_storage_uuid",
                        column: x => x.backup_storage_uuid,
                        principalTable: "backup_storages",
                        principalColumn: "uuid",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_long_jobs_state",
                table: "long_jobs",
                column: "state");

            migrationBuilder.CreateIndex(
                name: "ix_storage_gc_jobs_backup_storage_uuid_install_path",
                table: "storage_gc_jobs",
                columns: new[] { "backup_storage_uuid", "install_path" },
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "long_jobs");

            migrationBuilder.DropTable(
                name: "storage_gc_jobs");
        }
    }
}
