using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Stowage.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class BackupStorage : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "backup_storage_events",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    backup_storage_uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    path = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: false),
                    old_status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    new_status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    reason = table.Column<string>(type: "character varying(4096)", maxLength: 4096, nullable: true),
                    create_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_backup_storage_events", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "backup_storages",
                columns: table => new
                {
                    uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    description = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    url = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    type = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    state = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    total_capacity = table.Column<long>(type: "bigint", nullable: false),
                    available_capacity = table.Column<long>(type: "bigint", nullable: false),
                    last_error = table.Column<string>(type: "character varying(4096)", maxLength: 4096, nullable: true),
                    create_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    last_op_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_backup_storages", x => x.uuid);
                    table.ForeignKey(
                        name: "FK_backup_storages_resources_uuid",
                        column: x => x.uuid,
                        principalTable: "resources",
                        principalColumn: "uuid",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "backup_storage_zone_refs",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    backup_storage_uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    zone_uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    create_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    last_op_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_backup_storage_zone_refs", x => x.id);
                    table.ForeignKey(
                        name: "FK_backup_storage_zone_refs_backup_storages_backup_storage_uuid",
                        column: x => x.backup_storage_uuid,
                        principalTable: "backup_storages",
                        principalColumn: "uuid",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_backup_storage_zone_refs_zones_zone_uuid",
                        column: x => x.zone_uuid,
                        principalTable: "zones",
                        principalColumn: "uuid",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "sftp_backup_storages",
                columns: table => new
                {
                    uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    hostname = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    ssh_port = table.Column<int>(type: "integer", nullable: false),
                    username = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    credential_kind = table.Column<string>(type: "character varying(16)", maxLength: 16, nullable: false),
                    credential_cipher = table.Column<string>(type: "character varying(16384)", maxLength: 16384, nullable: false),
                    host_key_fingerprint = table.Column<string>(type: "character varying(128)", maxLength: 128, nullable: true),
                    last_op_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_sftp_backup_storages", x => x.uuid);
                    table.ForeignKey(
                        name: "FK_sftp_backup_storages_backup_storages_uuid",
                        column: x => x.uuid,
                        principalTable: "backup_storages",
                        principalColumn: "uuid",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_tags_resource_uuid_type_tag",
                table: "tags",
                columns: new[] { "resource_uuid", "type", "tag" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_backup_storage_events_backup_storage_uuid_id",
                table: "backup_storage_events",
                columns: new[] { "backup_storage_uuid", "id" });

            migrationBuilder.CreateIndex(
                name: "ix_backup_storage_zone_refs_backup_storage_uuid_zone_uuid",
                table: "backup_storage_zone_refs",
                columns: new[] { "backup_storage_uuid", "zone_uuid" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_backup_storage_zone_refs_zone_uuid",
                table: "backup_storage_zone_refs",
                column: "zone_uuid");

            migrationBuilder.CreateIndex(
                name: "ix_backup_storages_name",
                table: "backup_storages",
                column: "name");

            migrationBuilder.CreateIndex(
                name: "ix_sftp_backup_storages_hostname_ssh_port",
                table: "sftp_backup_storages",
                columns: new[] { "hostname", "ssh_port" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "backup_storage_events");

            migrationBuilder.DropTable(
                name: "backup_storage_zone_refs");

            migrationBuilder.DropTable(
                name: "sftp_backup_storages");

            migrationBuilder.DropTable(
                name: "backup_storages");

            migrationBuilder.DropIndex(
                name: "ix_tags_resource_uuid_type_tag",
                table: "tags");
        }
    }
}
