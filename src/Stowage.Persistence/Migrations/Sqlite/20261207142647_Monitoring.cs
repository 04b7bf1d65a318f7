using System;
using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Stowage.Persistence.Migrations.Sqlite
{
    /// <inheritdoc />
    public partial class Monitoring : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<bool>(
                name: "delivery_pending",
                table: "backup_storage_events",
                type: "INTEGER",
                nullable: false,
                defaultValue: false);

            migrationBuilder.CreateTable(
                name: "webhooks",
                columns: table => new
                {
                    uuid = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    description = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: true),
                    url = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: false),
                    event_types = table.Column<string>(type: "TEXT", maxLength: 4096, nullable: false),
                    secret_cipher = table.Column<string>(type: "TEXT", maxLength: 4096, nullable: false),
                    create_date = table.Column<DateTime>(type: "TEXT", nullable: false),
                    last_op_date = table.Column<DateTime>(type: "TEXT", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_webhooks", x => x.uuid);
                });

            migrationBuilder.CreateTable(
                name: "webhook_deliveries",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false)
                        .Annotation("Sqlite:Autoincrement", true),
                    webhook_uuid = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    event_id = table.Column<long>(type: "INTEGER", nullable: false),
                    status = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    attempts = table.Column<int>(type: "INTEGER", nullable: false),
                    next_attempt_date = table.Column<DateTime>(type: "TEXT", nullable: false),
                    last_error = table.Column<string>(type: "TEXT", maxLength: 2048, nullable: true),
                    create_date = table.Column<DateTime>(type: "TEXT", nullable: false),
                    last_attempt_date = table.Column<DateTime>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("PK_webhook_deliveries", x => x.id);
                    table.ForeignKey(
                        name: "FK_webhook_deliveries_backup_storage_events_event_id",
                        column: x => x.event_id,
                        principalTable: "backup_storage_events",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "FK_webhook_deliveries_webhooks_webhook_uuid",
                        column: x => x.webhook_uuid,
                        principalTable: "webhooks",
                        principalColumn: "uuid",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_backup_storage_events_create_date",
                table: "backup_storage_events",
                column: "create_date");

            migrationBuilder.CreateIndex(
                name: "ix_backup_storage_events_delivery_pending",
                table: "backup_storage_events",
                column: "delivery_pending");

            migrationBuilder.CreateIndex(
                name: "ix_webhook_deliveries_event_id",
                table: "webhook_deliveries",
                column: "event_id");

            migrationBuilder.CreateIndex(
                name: "ix_webhook_deliveries_status_next_attempt_date",
                table: "webhook_deliveries",
                columns: new[] { "status", "next_attempt_date" });

            migrationBuilder.CreateIndex(
                name: "ix_webhook_deliveries_webhook_uuid",
                table: "webhook_deliveries",
                column: "webhook_uuid");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "webhook_deliveries");

            migrationBuilder.DropTable(
                name: "webhooks");

            migrationBuilder.DropIndex(
                name: "ix_backup_storage_events_create_date",
                table: "backup_storage_events");

            migrationBuilder.DropIndex(
                name: "ix_backup_storage_events_delivery_pending",
                table: "backup_storage_events");

            migrationBuilder.DropColumn(
                name: "delivery_pending",
                table: "backup_storage_events");
        }
    }
}
