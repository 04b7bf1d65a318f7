using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Stowage.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class NfsBackupStorage : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "nfs_backup_storages",
                columns: table => new
                {
                    uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    server = table.Column<string>(type: "character varying(255)", maxLength: 255, nullable: false),
                    export_path = table.Column<string>(type: "character varying(2048)", maxLength: 2048, nullable: false),
                    nfs_port = table.Column<int>(type: "integer", nullable: true),
                    mount_port = table.Column<int>(type: "integer", nullable: true),
                    uid = table.Column<int>(type: "integer", nullable: false),
                    gid = table.Column<int>(type: "integer", nullable: false),
                    last_op_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    version = table.Column<long>(type: "bigint", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_nfs_backup_storages", x => x.uuid);
                    table.ForeignKey(
                        name: "FK_nfs_backup_storages_backup_storages_uuid",
                        column: x => x.uuid,
                        principalTable: "backup_storages",
                        principalColumn: "uuid",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_nfs_backup_storages_server",
                table: "nfs_backup_storages",
                column: "server");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "nfs_backup_storages");
        }
    }
}
