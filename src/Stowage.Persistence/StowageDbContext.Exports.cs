using Microsoft.EntityFrameworkCore;
using Stowage.Persistence.Entities;

namespace Stowage.Persistence;

/// <summary>The export tables: export URLs of image copies and direct-fetch keys of backup storages.</summary>
public abstract partial class StowageDbContext
{
    public DbSet<ImageExportEntity> ImageExports => Set<ImageExportEntity>();

    public DbSet<DownloadCredentialEntity> DownloadCredentials => Set<DownloadCredentialEntity>();

    private static void ConfigureExports(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<ImageExportEntity>(e =>
        {
            e.ToTable("image_exports");
            e.HasKey(x => x.Id);
            e.Property(x => x.TokenHash).HasMaxLength(64);
            e.Property(x => x.ImageUuid).HasMaxLength(32);
            e.Property(x => x.BackupStorageUuid).HasMaxLength(32);
            e.Property(x => x.FileName).HasMaxLength(255);
            e.HasIndex(x => x.TokenHash).IsUnique();
            e.HasIndex(x => x.RefId);

            // An export cannot outlive the copy it serves.
            e.HasOne<ImageBackupStorageRefEntity>().WithMany().HasForeignKey(x => x.RefId).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<DownloadCredentialEntity>(e =>
        {
            e.ToTable("download_credentials");
            e.HasKey(x => x.BackupStorageUuid);
            e.Property(x => x.BackupStorageUuid).HasMaxLength(32);
            e.Property(x => x.PublicKey).HasMaxLength(1024);
            e.Property(x => x.PrivateKeyCipher).HasMaxLength(8192);
            e.HasOne<BackupStorageEntity>().WithOne().HasForeignKey<DownloadCredentialEntity>(x => x.BackupStorageUuid).OnDelete(DeleteBehavior.Cascade);
        });
    }
}
