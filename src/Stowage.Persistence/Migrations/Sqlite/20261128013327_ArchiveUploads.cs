using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Stowage.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class ArchiveUploads : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AlterColumn<long>(
                name: "ref_id",
                table: "image_uploads",
                type: "INTEGER",
                nullable: true,
                oldClrType: typeof(long),
                oldType: "INTEGER");

            migrationBuilder.AddColumn<long>(
                name: "archive_ref_id",
                table: "image_uploads",
                type: "INTEGER",
                nullable: true);

            migrationBuilder.CreateIndex(
                name: "ix_image_uploads_archive_ref_id",
                table: "image_uploads",
                column: "archive_ref_id",
                unique: true);

            migrationBuilder.AddForeignKey(
                name: "FK_image_uploads_volume_archive_backup_storage_refs_archive_ref_id",
                table: "image_uploads",
                column: "archive_ref_id",
                principalTable: "volume_archive_backup_storage_refs",
                principalColumn: "id",
                onDelete: ReferentialAction.Cascade);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropForeignKey(
                name: "FK_image_uploads_volume_archive_backup_storage_refs_archive_ref_id",
                table: "image_uploads");

            migrationBuilder.DropIndex(
                name: "ix_image_uploads_archive_ref_id",
                table: "image_uploads");

            migrationBuilder.DropColumn(
                name: "archive_ref_id",
                table: "image_uploads");

            migrationBuilder.AlterColumn<long>(
                name: "ref_id",
                table: "image_uploads",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L,
                oldClrType: typeof(long),
                oldType: "INTEGER",
                oldNullable: true);
        }
    }
}
