using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Stowage.Persistence.Migrations.Postgres
{
    /// <inheritdoc />
    public partial class TagIndexes : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_tags_resource_uuid",
                table: "tags");

            migrationBuilder.DropIndex(
                name: "ix_tags_resource_uuid_type_tag",
                table: "tags");

            migrationBuilder.CreateIndex(
                name: "ix_tags_resource_uuid_type_resource_type",
                table: "tags",
                columns: new[] { "resource_uuid", "type", "resource_type" });
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropIndex(
                name: "ix_tags_resource_uuid_type_resource_type",
                table: "tags");

            migrationBuilder.CreateIndex(
                name: "ix_tags_resource_uuid",
                table: "tags",
                column: "resource_uuid");

            migrationBuilder.CreateIndex(
                name: "ix_tags_resource_uuid_type_tag",
                table: "tags",
                columns: new[] { "resource_uuid", "type", "tag" },
                unique: true);
        }
    }
}
