using Microsoft.EntityFrameworkCore;
using Stowage.Persistence.Entities;

namespace Stowage.Persistence;

/// <summary>Volume snapshots and volume backups on backup storages, and their copies.</summary>
public abstract partial class StowageDbContext
{
    public DbSet<VolumeArchiveEntity> VolumeArchives => Set<VolumeArchiveEntity>();

    public DbSet<VolumeArchiveRefEntity> VolumeArchiveRefs => Set<VolumeArchiveRefEntity>();

    private static void ConfigureVolumeArchives(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<VolumeArchiveEntity>(e =>
        {
            e.ToTable("volume_archives");
            e.HasKey(x => x.Uuid);
            e.Property(x => x.Uuid).HasMaxLength(32);
            e.Property(x => x.Kind).HasMaxLength(32);
            e.Property(x => x.Name).HasMaxLength(255);
            e.Property(x => x.Description).HasMaxLength(2048);
            e.Property(x => x.VolumeUuid).HasMaxLength(32);
            e.Property(x => x.TreeUuid).HasMaxLength(32);
            e.Property(x => x.ParentUuid).HasMaxLength(32);
            e.Property(x => x.Status).HasMaxLength(32);
            e.Property(x => x.Md5Sum).HasMaxLength(255);
            e.Property(x => x.Sha256Sum).HasMaxLength(64);
            e.Property(x => x.Format).HasMaxLength(64);
            e.Property(x => x.Url).HasMaxLength(1024);
            e.Property(x => x.OwnerAccountUuid).HasMaxLength(32);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.HasOne<ResourceEntity>().WithOne().HasForeignKey<VolumeArchiveEntity>(x => x.Uuid).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.Kind, x.Name });
            e.HasIndex(x => x.VolumeUuid);
        });
        modelBuilder.Entity<VolumeArchiveRefEntity>(e =>
        {
            e.ToTable("volume_archive_backup_storage_refs");
            e.HasKey(x => x.Id);
            e.Property(x => x.ArchiveUuid).HasMaxLength(32);
            e.Property(x => x.BackupStorageUuid).HasMaxLength(32);
            e.Property(x => x.InstallPath).HasMaxLength(2048);
            e.Property(x => x.Status).HasMaxLength(32);
            e.Property(x => x.LastError).HasMaxLength(4096);
            e.Property(x => x.LastVerifyOutcome).HasMaxLength(32);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.HasOne<VolumeArchiveEntity>().WithMany().HasForeignKey(x => x.ArchiveUuid).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<BackupStorageEntity>().WithMany().HasForeignKey(x => x.BackupStorageUuid).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.ArchiveUuid, x.BackupStorageUuid }).IsUnique();
            e.HasIndex(x => x.BackupStorageUuid);
        });
    }
}
