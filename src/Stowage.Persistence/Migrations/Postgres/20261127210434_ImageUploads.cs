using System;
using Microsoft.EntityFrameworkCore.Migrations;
using Npgsql.EntityFrameworkCore.PostgreSQL.Metadata;

#nullable disable

namespace Stowage.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class ImageUploads : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "image_uploads",
                columns: table => new
                {
                    id = table.Column<long>(type: "bigint", nullable: false)
                        .Annotation("Npgsql:ValueGenerationStrategy", NpgsqlValueGenerationStrategy.IdentityByDefaultColumn),
                    ref_id = table.Column<long>(type: "bigint", nullable: false),
                    image_uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    backup_storage_uuid = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: false),
                    token_hash = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: false),
                    total_size = table.Column<long>(type: "bigint", nullable: true),
                    received_size = table.Column<long>(type: "bigint", nullable: false),
                    md5 = table.Column<string>(type: "character varying(32)", maxLength: 32, nullable: true),
                    sha256 = table.Column<string>(type: "character varying(64)", maxLength: 64, nullable: true),
                    expires_at = table.Column<DateTime>(type: "timestamp with time zone", nullable: false),
                    create_date = table.Column<DateTime>(type: "timestamp with time zone", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_image_uploads", x => x.id);
                    table.ForeignKey(
                        name: "FK_image_uploads_image_backup_storage_refs_ref_id",
                        column: x => x.ref_id,
                        principalTable: "image_backup_storage_refs",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_image_uploads_expires_at",
                table: "image_uploads",
                column: "expires_at");

            migrationBuilder.CreateIndex(
                name: "ix_image_uploads_ref_id",
                table: "image_uploads",
                column: "ref_id",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_image_uploads_token_hash",
                table: "image_uploads",
                column: "token_hash",
                unique: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "image_uploads");
        }
    }
}
