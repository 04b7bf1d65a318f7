using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Stowage.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class VolumeArchives : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "volume_archives",
                columns: table => new
                {
                    uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    kind = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    name = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    description = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: true),
                    volume_uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    tree_uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    parent_uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    size = table.Column<long>(type: "bigint", nullable: false),
                    actual_size = table.Column<long>(type: "bigint", nullable: false),
                    md5_sum = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: true),
                    sha256_sum = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    format = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    url = table.Column<string>(type: "character varying(1024)", maxLength: 1024, nullable: false),
                    owner_account_uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    create_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    last_op_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_volume_archives", x => x.uuid);
                    table.ForeignKey(
                        name: "FK_volume_archives_resources_uuid",
                        column: x => x.uuid,
                        principalTable: "resources",
                        principalColumn: "uuid",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "volume_archive_backup_storage_refs",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    archive_uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    backup_storage_uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    install_path = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    status = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    last_error = table.Column<string>(type: "character varying(4096)", maxLength: 4096, nullable: true),
                    reserved_size = table.Column<long>(type: "bigint", nullable: false),
                    create_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    last_op_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_volume_archive_backup_storage_refs", x => x.id);
                    table.ForeignKey(
                        name: "FK_volume_archive_backup_storage_refs_backup_storages_backup_s~",
                        column: x => x.backup_storage_uuid,
                        principalTable: "backup_storages",
                        principalColumn: "uuid",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_volume_archive_backup_storage_refs_volume_archives_archive_~",
                        column: x => x.archive_uuid,
                        principalTable: "volume_archives",
                        principalColumn: "uuid",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_volume_archive_backup_storage_refs_archive_uuid_backup_storage_uuid",
                table: "volume_archive_backup_storage_refs",
                columns: new[] { "archive_uuid", "backup_storage_uuid" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_volume_archive_backup_storage_refs_backup_storage_uuid",
                table: "volume_archive_backup_storage_refs",
                column: "backup_storage_uuid");

            migrationBuilder.CreateIndex(
                name: "ix_volume_archives_kind_name",
                table: "volume_archives",
                columns: new[] { "kind", "name" });

            migrationBuilder.CreateIndex(
                name: "ix_volume_archives_volume_uuid",
                table: "volume_archives",
                column: "volume_uuid");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "volume_archive_backup_storage_refs");

            migrationBuilder.DropTable(
                name: "volume_archives");
        }
    }
}
