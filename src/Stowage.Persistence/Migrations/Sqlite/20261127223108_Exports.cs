using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Stowage.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Exports : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "download_credentials",
                columns: table => new
                {
                    backup_storage_uuid = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    public_key = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: false),
                    private_key_cipher = table.Column<string>(type: "TEXT", maxLength: 8192, nullable: false),
                    create_date = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_download_credentials", x => x.backup_storage_uuid);
                    table.ForeignKey(
                        name: "FK_download_credentials_backup_storages_backup_storage_uuid",
                        column: x => x.backup_storage_uuid,
                        principalTable: "backup_storages",
                        principalColumn: "uuid",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "image_exports",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    token_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    ref_id = table.Column<long>(type: "INTEGER", nullable: false),
                    image_uuid = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    backup_storage_uuid = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    file_name = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    create_date = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_image_exports", x => x.id);
                    table.ForeignKey(
                        name: "FK_image_exports_image_backup_storage_refs_ref_id",
                        column: x => x.ref_id,
                        principalTable: "image_backup_storage_refs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_image_exports_ref_id",
                table: "image_exports",
                column: "ref_id");

            migrationBuilder.CreateIndex(
                name: "ix_image_exports_token_hash",
                table: "image_exports",
                column: "token_hash",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "download_credentials");

            migrationBuilder.DropTable(
                name: "image_exports");
        }
    }
}
