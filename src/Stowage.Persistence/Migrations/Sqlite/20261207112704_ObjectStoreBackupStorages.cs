using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Stowage.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ObjectStoreBackupStorages : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "s3_backup_storages",
                columns: table => new
                {
                    uuid = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    endpoint = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    access_key = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    region = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    path_style = table.Column<bool>(type: "INTEGER", nullable: false),
                    total_capacity = table.Column<long>(type: "INTEGER", nullable: true),
                    credential_cipher = table.Column<string>(type: "TEXT", maxLength: 16384, nullable: false),
                    last_op_date = table.Column<DateTime>(type: "TEXT", nullable: false),
                    version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_s3_backup_storages", x => x.uuid);
                    table.ForeignKey(
                        name: "FK_s3_backup_storages_backup_storages_uuid",
                        column: x => x.uuid,
                        principalTable: "backup_storages",
                        principalColumn: "uuid",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "swift_backup_storages",
                columns: table => new
                {
                    uuid = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    auth_url = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    auth_version = table.Column<string>(type: "TEXT", maxLength: 8, nullable: true),
                    username = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    project_name = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    project_domain_name = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    user_domain_name = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    region = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    total_capacity = table.Column<long>(type: "INTEGER", nullable: true),
                    credential_cipher = table.Column<string>(type: "TEXT", maxLength: 16384, nullable: false),
                    last_op_date = table.Column<DateTime>(type: "TEXT", nullable: false),
                    version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_swift_backup_storages", x => x.uuid);
                    table.ForeignKey(
                        name: "FK_swift_backup_storages_backup_storages_uuid",
                        column: x => x.uuid,
                        principalTable: "backup_storages",
                        principalColumn: "uuid",
                        onDelete: ReferentialAction.Cascade);
                });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "s3_backup_storages");

            migrationBuilder.DropTable(
                name: "swift_backup_storages");
        }
    }
}
