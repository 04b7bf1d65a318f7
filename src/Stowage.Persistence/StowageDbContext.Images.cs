using Microsoft.EntityFrameworkCore;
using Stowage.Persistence.Entities;

namespace Stowage.Persistence;

/// <summary>The image tables: images, their copies on backup storages and pending uploads.</summary>
public abstract partial class StowageDbContext
{
    private static void ConfigureImages(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<ImageEntity>(e =>
        {
            e.ToTable("images");
            e.HasKey(x => x.Uuid);
            e.Property(x => x.Uuid).HasMaxLength(32);
            e.Property(x => x.Name).HasMaxLength(255);
            e.Property(x => x.Description).HasMaxLength(2048);
            e.Property(x => x.State).HasMaxLength(32);
            e.Property(x => x.Status).HasMaxLength(32);
            e.Property(x => x.Md5Sum).HasMaxLength(255);
            e.Property(x => x.Sha256Sum).HasMaxLength(64);
            e.Property(x => x.Url).HasMaxLength(1024);
            e.Property(x => x.MediaType).HasMaxLength(64);
            e.Property(x => x.GuestOsType).HasMaxLength(255);
            e.Property(x => x.Type).HasMaxLength(64);
            e.Property(x => x.Platform).HasMaxLength(64);
            e.Property(x => x.Architecture).HasMaxLength(32);
            e.Property(x => x.Format).HasMaxLength(64);
            e.Property(x => x.OwnerAccountUuid).HasMaxLength(32);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.HasOne<ResourceEntity>().WithOne().HasForeignKey<ImageEntity>(x => x.Uuid).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => x.Name);
        });
        modelBuilder.Entity<ImageBackupStorageRefEntity>(e =>
        {
            e.ToTable("image_backup_storage_refs");
            e.HasKey(x => x.Id);
            e.Property(x => x.ImageUuid).HasMaxLength(32);
            e.Property(x => x.BackupStorageUuid).HasMaxLength(32);
            e.Property(x => x.InstallPath).HasMaxLength(2048);
            e.Property(x => x.Status).HasMaxLength(32);
            e.Property(x => x.LastError).HasMaxLength(4096);
            e.Property(x => x.LastVerifyOutcome).HasMaxLength(32);
            e.Property(x => x.ExportUrl).HasMaxLength(2048);
            e.Property(x => x.ExportMd5Sum).HasMaxLength(255);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.HasOne<ImageEntity>().WithMany().HasForeignKey(x => x.ImageUuid).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<BackupStorageEntity>().WithMany().HasForeignKey(x => x.BackupStorageUuid).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.ImageUuid, x.BackupStorageUuid }).IsUnique();
            e.HasIndex(x => x.BackupStorageUuid);
        });
        modelBuilder.Entity<ImageUploadEntity>(e =>
        {
            e.ToTable("image_uploads");
            e.HasKey(x => x.Id);
            e.Property(x => x.ImageUuid).HasMaxLength(32);
            e.Property(x => x.BackupStorageUuid).HasMaxLength(32);
            e.Property(x => x.TokenHash).HasMaxLength(64);
            e.Property(x => x.Md5).HasMaxLength(32);
            e.Property(x => x.Sha256).HasMaxLength(64);
            e.HasOne<ImageBackupStorageRefEntity>().WithMany().HasForeignKey(x => x.RefId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => x.TokenHash).IsUnique();
            e.HasOne<VolumeArchiveRefEntity>().WithMany().HasForeignKey(x => x.ArchiveRefId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => x.RefId).IsUnique();
            e.HasIndex(x => x.ArchiveRefId).IsUnique();
            e.HasIndex(x => x.ExpiresAt);
        });
    }
}
