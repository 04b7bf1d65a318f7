using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Stowage.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "accounts",
                columns: table => new
                {
                    uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    password_hash = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    type = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    create_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    last_op_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_accounts", x => x.uuid);
                });

            migrationBuilder.CreateTable(
                name: "api_jobs",
                columns: table => new
                {
                    uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    api_name = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    state = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    session_uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    node_id = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    create_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    finish_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: true),
                    timeout_ms = table.Column<long>(type: "bigint", nullable: false),
                    result_json = table.Column<string>(type: "text", nullable: true),
                    schema_json = table.Column<string>(type: "text", nullable: true),
                    error_json = table.Column<string>(type: "text", nullable: true),
                    web_hook = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_api_jobs", x => x.uuid);
                });

            migrationBuilder.CreateTable(
                name: "global_configs",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    category = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    description = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    default_value = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    value = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    last_op_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_global_configs", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "resources",
                columns: table => new
                {
                    uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    resource_type = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    resource_name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    create_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_resources", x => x.uuid);
                });

            migrationBuilder.CreateTable(
                name: "sessions",
                columns: table => new
                {
                    uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    account_uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    user_uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    create_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    expired_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sessions", x => x.uuid);
                });

            migrationBuilder.CreateTable(
                name: "zones",
                columns: table => new
                {
                    uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    description = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    state = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    type = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    is_default = table.Column<bool>(type: "boolean", nullable: false),
                    create_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    last_op_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_zones", x => x.uuid);
                });

            migrationBuilder.CreateTable(
                name: "tags",
                columns: table => new
                {
                    uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    resource_uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    resource_type = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    tag = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    type = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    inherent = table.Column<bool>(type: "boolean", nullable: false),
                    create_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    last_op_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_tags", x => x.uuid);
                    table.ForeignKey(
                        name: "FK_tags_resources_resource_uuid",
                        column: x => x.resource_uuid,
                        principalTable: "resources",
                        principalColumn: "uuid",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_accounts_name",
                table: "accounts",
                column: "name",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_api_jobs_finish_date",
                table: "api_jobs",
                column: "finish_date");

            migrationBuilder.CreateIndex(
                name: "ix_api_jobs_state_node_id",
                table: "api_jobs",
                columns: new[] { "state", "node_id" });

            migrationBuilder.CreateIndex(
                name: "ix_global_configs_category_name",
                table: "global_configs",
                columns: new[] { "category", "name" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_sessions_expired_date",
                table: "sessions",
                column: "expired_date");

            migrationBuilder.CreateIndex(
                name: "ix_tags_resource_uuid",
                table: "tags",
                column: "resource_uuid");

            migrationBuilder.CreateIndex(
                name: "ix_tags_type_tag",
                table: "tags",
                columns: new[] { "type", "tag" });

            migrationBuilder.CreateIndex(
                name: "ix_zones_name",
                table: "zones",
                column: "name");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "accounts");

            migrationBuilder.DropTable(
                name: "api_jobs");

            migrationBuilder.DropTable(
                name: "global_configs");

            migrationBuilder.DropTable(
                name: "sessions");

            migrationBuilder.DropTable(
                name: "tags");

            migrationBuilder.DropTable(
                name: "zones");

            migrationBuilder.DropTable(
                name: "resources");
        }
    }
}
