using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Stowage.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class CopyVerification : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<DateTime>(
                name: "last_verified_date",
                table: "volume_archive_backup_storage_refs",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "last_verify_outcome",
                table: "volume_archive_backup_storage_refs",
                type: "TEXT",
                maxLength: 32,
                nullable: true);

            migrationBuilder.AddColumn<DateTime>(
                name: "last_verified_date",
                table: "image_backup_storage_refs",
                type: "TEXT",
                nullable: true);

            migrationBuilder.AddColumn<string>(
                name: "last_verify_outcome",
                table: "image_backup_storage_refs",
                type: "TEXT",
                maxLength: 32,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "last_verified_date",
                table: "volume_archive_backup_storage_refs");

            migrationBuilder.DropColumn(
                name: "last_verify_outcome",
                table: "volume_archive_backup_storage_refs");

            migrationBuilder.DropColumn(
                name: "last_verified_date",
                table: "image_backup_storage_refs");

            migrationBuilder.DropColumn(
                name: "last_verify_outcome",
                table: "image_backup_storage_refs");
        }
    }
}
