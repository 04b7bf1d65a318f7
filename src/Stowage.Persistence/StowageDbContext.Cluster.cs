using Microsoft.EntityFrameworkCore;
using Stowage.Persistence.Entities;

namespace Stowage.Persistence;

/// <summary>Cluster membership: the management servers sharing this database and their heartbeats.</summary>
public abstract partial class StowageDbContext
{
    public DbSet<ManagementNodeEntity> ManagementNodes => Set<ManagementNodeEntity>();

    public DbSet<DataProtectionKeyEntity> DataProtectionKeys => Set<DataProtectionKeyEntity>();

    private static void ConfigureCluster(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<ManagementNodeEntity>(e =>
        {
            e.ToTable("management_nodes");
            e.HasKey(x => x.Id);
            e.Property(x => x.Id).HasMaxLength(64);
            e.Property(x => x.Address).HasMaxLength(2048);
        });
        modelBuilder.Entity<DataProtectionKeyEntity>(e =>
        {
            e.ToTable("data_protection_keys");
            e.HasKey(x => x.Id);
            e.Property(x => x.FriendlyName).HasMaxLength(255);
            e.HasIndex(x => x.FriendlyName).IsUnique();
        });
        modelBuilder.Entity<BackupStorageEntity>(e =>
        {
            e.Property(x => x.OwnerNodeId).HasMaxLength(64);
            e.HasIndex(x => x.OwnerNodeId);
        });
        modelBuilder.Entity<ImageBackupStorageRefEntity>(e =>
        {
            e.Property(x => x.NodeId).HasMaxLength(64);
            e.HasIndex(x => new { x.Status, x.NodeId });
        });
        modelBuilder.Entity<VolumeArchiveRefEntity>(e =>
        {
            e.Property(x => x.NodeId).HasMaxLength(64);
            e.HasIndex(x => new { x.Status, x.NodeId });
        });
    }
}
