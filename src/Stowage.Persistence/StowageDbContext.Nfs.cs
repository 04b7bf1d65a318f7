using Microsoft.EntityFrameworkCore;
using Stowage.Persistence.Entities;

namespace Stowage.Persistence;

/// <summary>The NFS storage type's own table: what an NfsBackupStorage adds to its backup_storages row.</summary>
public abstract partial class StowageDbContext
{
    public DbSet<NfsBackupStorageEntity> NfsBackupStorages => Set<NfsBackupStorageEntity>();

    private static void ConfigureNfs(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<NfsBackupStorageEntity>(e =>
        {
            e.ToTable("nfs_backup_storages");
            e.HasKey(x => x.Uuid);
            e.Property(x => x.Uuid).HasMaxLength(32);
            e.Property(x => x.Server).HasMaxLength(255);
            e.Property(x => x.ExportPath).HasMaxLength(2048);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.HasOne<BackupStorageEntity>().WithOne().HasForeignKey<NfsBackupStorageEntity>(x => x.Uuid).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => x.Server);
        });
    }
}
