using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Stowage.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Images : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "images",
                columns: table => new
                {
                    uuid = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    description = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: true),
                    state = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    size = table.Column<long>(type: "INTEGER", nullable: false),
                    actual_size = table.Column<long>(type: "INTEGER", nullable: false),
                    md5_sum = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    sha256_sum = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    url = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: false),
                    media_type = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    guest_os_type = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    type = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    platform = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    architecture = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    format = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    system = table.Column<bool>(type: "INTEGER", nullable: false),
                    virtio = table.Column<bool>(type: "INTEGER", nullable: false),
                    owner_account_uuid = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    create_date = table.Column<DateTime>(type: "TEXT", nullable: false),
                    last_op_date = table.Column<DateTime>(type: "TEXT", nullable: false),
                    version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_images", x => x.uuid);
                    table.ForeignKey(
                        name: "FK_images_resources_uuid",
                        column: x => x.uuid,
                        principalTable: "resources",
                        principalColumn: "uuid",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "image_backup_storage_refs",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    image_uuid = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    backup_storage_uuid = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    install_path = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    last_error = table.Column<string>(type: "TEXT", maxLength: 4096, nullable: true),
                    reserved_size = table.Column<long>(type: "INTEGER", nullable: false),
                    export_url = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: true),
                    export_md5_sum = table.Column<string>(type: "TEXT", maxLength: 255, nullable: true),
                    create_date = table.Column<DateTime>(type: "TEXT", nullable: false),
                    last_op_date = table.Column<DateTime>(type: "TEXT", nullable: false),
                    version = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_image_backup_storage_refs", x => x.id);
                    table.ForeignKey(
                        name: "FK_image_backup_storage_refs_backup_storages_backup_storage_uuid",
                        column: x => x.backup_storage_uuid,
                        principalTable: "backup_storages",
                        principalColumn: "uuid",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_image_backup_storage_refs_images_image_uuid",
                        column: x => x.image_uuid,
                        principalTable: "images",
                        principalColumn: "uuid",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_image_backup_storage_refs_backup_storage_uuid",
                table: "image_backup_storage_refs",
                column: "backup_storage_uuid");

            migrationBuilder.CreateIndex(
                name: "ix_image_backup_storage_refs_image_uuid_backup_storage_uuid",
                table: "image_backup_storage_refs",
                columns: new[] { "image_uuid", "backup_storage_uuid" },
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_images_name",
                table: "images",
                column: "name");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "image_backup_storage_refs");

            migrationBuilder.DropTable(
                name: "images");
        }
    }
}
