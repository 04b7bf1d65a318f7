using Microsoft.EntityFrameworkCore;
using Stowage.Persistence.Entities;

namespace Stowage.Persistence;

/// <summary>The object-store types' own tables: what a Swift or S3 backup storage adds to its backup_storages row.</summary>
public abstract partial class StowageDbContext
{
    public DbSet<SwiftBackupStorageEntity> SwiftBackupStorages => Set<SwiftBackupStorageEntity>();

    public DbSet<S3BackupStorageEntity> S3BackupStorages => Set<S3BackupStorageEntity>();

    private static void ConfigureObjectStores(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<SwiftBackupStorageEntity>(e =>
        {
            e.ToTable("swift_backup_storages");
            e.HasKey(x => x.Uuid);
            e.Property(x => x.Uuid).HasMaxLength(32);
            e.Property(x => x.AuthUrl).HasMaxLength(2048);
            e.Property(x => x.AuthVersion).HasMaxLength(8);
            e.Property(x => x.Username).HasMaxLength(255);
            e.Property(x => x.ProjectName).HasMaxLength(255);
            e.Property(x => x.ProjectDomainName).HasMaxLength(255);
            e.Property(x => x.UserDomainName).HasMaxLength(255);
            e.Property(x => x.Region).HasMaxLength(255);
            e.Property(x => x.CredentialCipher).HasMaxLength(16384);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.HasOne<BackupStorageEntity>().WithOne().HasForeignKey<SwiftBackupStorageEntity>(x => x.Uuid).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<S3BackupStorageEntity>(e =>
        {
            e.ToTable("s3_backup_storages");
            e.HasKey(x => x.Uuid);
            e.Property(x => x.Uuid).HasMaxLength(32);
            e.Property(x => x.Endpoint).HasMaxLength(2048);
            e.Property(x => x.AccessKey).HasMaxLength(255);
            e.Property(x => x.Region).HasMaxLength(255);
            e.Property(x => x.CredentialCipher).HasMaxLength(16384);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.HasOne<BackupStorageEntity>().WithOne().HasForeignKey<S3BackupStorageEntity>(x => x.Uuid).OnDelete(DeleteBehavior.Cascade);
        });
    }
}
