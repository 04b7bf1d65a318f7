using Microsoft.EntityFrameworkCore;
using Stowage.Persistence.Entities;

namespace Stowage.Persistence;

/// <summary>Long jobs (ZStack's LongJobVO) and the durable queue of stored bits still to remove.</summary>
public abstract partial class StowageDbContext
{
    public DbSet<LongJobEntity> LongJobs => Set<LongJobEntity>();

    public DbSet<StorageGcJobEntity> StorageGcJobs => Set<StorageGcJobEntity>();

    private static void ConfigureFidelity(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<LongJobEntity>(e =>
        {
            e.ToTable("long_jobs");
            e.HasKey(x => x.Uuid);
            e.Property(x => x.Uuid).HasMaxLength(32);
            e.Property(x => x.Name).HasMaxLength(255);
            e.Property(x => x.Description).HasMaxLength(2048);
            e.Property(x => x.ApiId).HasMaxLength(32);
            e.Property(x => x.JobName).HasMaxLength(255);
            e.Property(x => x.State).HasMaxLength(16);
            e.Property(x => x.TargetResourceUuid).HasMaxLength(32);
            e.Property(x => x.ManagementNodeUuid).HasMaxLength(64);
            e.HasIndex(x => x.State);
        });
        modelBuilder.Entity<StorageGcJobEntity>(e =>
        {
            e.ToTable("storage_gc_jobs");
            e.HasKey(x => x.Id);
            e.Property(x => x.BackupStorageUuid).HasMaxLength(32);
            e.Property(x => x.InstallPath).HasMaxLength(2048);
            e.Property(x => x.ResourceUuid).HasMaxLength(32);
            e.Property(x => x.ResourceType).HasMaxLength(64);
            e.HasOne<BackupStorageEntity>().WithMany().HasForeignKey(x => x.BackupStorageUuid).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.BackupStorageUuid, x.InstallPath }).IsUnique();
        });
    }
}
