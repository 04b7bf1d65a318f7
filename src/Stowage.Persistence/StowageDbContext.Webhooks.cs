using Microsoft.EntityFrameworkCore;
using Stowage.Persistence.Entities;

namespace Stowage.Persistence;

/// <summary>Webhook subscriptions and their delivery outbox.</summary>
public abstract partial class StowageDbContext
{
    public DbSet<WebhookEntity> Webhooks => Set<WebhookEntity>();

    public DbSet<WebhookDeliveryEntity> WebhookDeliveries => Set<WebhookDeliveryEntity>();

    private static void ConfigureWebhooks(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<WebhookEntity>(e =>
        {
            e.ToTable("webhooks");
            e.HasKey(x => x.Uuid);
            e.Property(x => x.Uuid).HasMaxLength(32);
            e.Property(x => x.Name).HasMaxLength(255);
            e.Property(x => x.Description).HasMaxLength(2048);
            e.Property(x => x.Url).HasMaxLength(2048);
            e.Property(x => x.EventTypes).HasMaxLength(4096);
            e.Property(x => x.SecretCipher).HasMaxLength(4096);
        });
        modelBuilder.Entity<WebhookDeliveryEntity>(e =>
        {
            e.ToTable("webhook_deliveries");
            e.HasKey(x => x.Id);
            e.Property(x => x.WebhookUuid).HasMaxLength(32);
            e.Property(x => x.Status).HasMaxLength(32);
            e.Property(x => x.LastError).HasMaxLength(2048);
            e.HasOne<WebhookEntity>().WithMany().HasForeignKey(x => x.WebhookUuid).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<BackupStorageEventEntity>().WithMany().HasForeignKey(x => x.EventId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.Status, x.NextAttemptDate });
            e.HasIndex(x => x.EventId);
            e.HasIndex(x => x.WebhookUuid);
        });
    }
}
