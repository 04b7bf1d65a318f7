using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Stowage.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Cluster : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "node_id",
                table: "volume_archive_backup_storage_refs",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "node_id",
                table: "image_backup_storage_refs",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "owner_node_id",
                table: "backup_storages",
                type: "TEXT",
                maxLength: 64,
                nullable: true);

            migrationBuilder.CreateTable(
                name: "data_protection_keys",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    friendly_name = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    xml = table.Column<string>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_data_protection_keys", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "management_nodes",
                columns: table => new
                {
                    id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    address = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    join_date = table.Column<DateTime>(type: "TEXT", nullable: false),
                    heartbeat_date = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_management_nodes", x => x.id);
                });

            migrationBuilder.CreateIndex(
                name: "ix_volume_archive_backup_storage_refs_status_node_id",
                table: "volume_archive_backup_storage_refs",
                columns: new[] { "status", "node_id" });

            migrationBuilder.CreateIndex(
                name: "ix_image_backup_storage_refs_status_node_id",
                table: "image_backup_storage_refs",
                columns: new[] { "status", "node_id" });

            migrationBuilder.CreateIndex(
                name: "ix_backup_storages_owner_node_id",
                table: "backup_storages",
                column: "owner_node_id");

            migrationBuilder.CreateIndex(
                name: "ix_data_protection_keys_friendly_name",
                table: "data_protection_keys",
                column: "friendly_name",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "data_protection_keys");

            migrationBuilder.DropTable(
                name: "management_nodes");

            migrationBuilder.DropIndex(
                name: "ix_volume_archive_backup_storage_refs_status_node_id",
                table: "volume_archive_backup_storage_refs");

            migrationBuilder.DropIndex(
                name: "ix_image_backup_storage_refs_status_node_id",
                table: "image_backup_storage_refs");

            migrationBuilder.DropIndex(
                name: "ix_backup_storages_owner_node_id",
                table: "backup_storages");

            migrationBuilder.DropColumn(
                name: "node_id",
                table: "volume_archive_backup_storage_refs");

            migrationBuilder.DropColumn(
                name: "node_id",
                table: "image_backup_storage_refs");

            migrationBuilder.DropColumn(
                name: "owner_node_id",
                table: "backup_storages");
        }
    }
}
