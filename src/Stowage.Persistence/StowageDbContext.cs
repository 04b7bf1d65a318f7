using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Stowage.Persistence.Entities;

namespace Stowage.Persistence;

/// <summary>
/// The schema shared by both providers. Each provider has a subclass only so that it can own its
/// migration set; table and column names are snake_case so raw query SQL is the same on both.
/// </summary>
public abstract partial class StowageDbContext(DbContextOptions options) : DbContext(options)
{
    public DbSet<ResourceEntity> Resources => Set<ResourceEntity>();

    public DbSet<ZoneEntity> Zones => Set<ZoneEntity>();

    public DbSet<TagEntity> Tags => Set<TagEntity>();

    public DbSet<GlobalConfigEntity> GlobalConfigs => Set<GlobalConfigEntity>();

    public DbSet<AccountEntity> Accounts => Set<AccountEntity>();

    public DbSet<SessionEntity> Sessions => Set<SessionEntity>();

    public DbSet<ApiJobEntity> ApiJobs => Set<ApiJobEntity>();

    public DbSet<BackupStorageEntity> BackupStorages => Set<BackupStorageEntity>();

    public DbSet<SftpBackupStorageEntity> SftpBackupStorages => Set<SftpBackupStorageEntity>();

    public DbSet<BackupStorageZoneRefEntity> BackupStorageZoneRefs => Set<BackupStorageZoneRefEntity>();

    public DbSet<BackupStorageEventEntity> BackupStorageEvents => Set<BackupStorageEventEntity>();

    public DbSet<ImageEntity> Images => Set<ImageEntity>();

    public DbSet<ImageBackupStorageRefEntity> ImageBackupStorageRefs => Set<ImageBackupStorageRefEntity>();

    public DbSet<ImageUploadEntity> ImageUploads => Set<ImageUploadEntity>();

    public bool IsPostgres => Database.ProviderName?.Contains("Npgsql", StringComparison.Ordinal) == true;

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<ResourceEntity>(e =>
        {
            e.ToTable("resources");
            e.HasKey(x => x.Uuid);
            e.Property(x => x.Uuid).HasMaxLength(32);
            e.Property(x => x.ResourceType).HasMaxLength(64);
            e.Property(x => x.ResourceName).HasMaxLength(255);
        });
        modelBuilder.Entity<ZoneEntity>(e =>
        {
            e.ToTable("zones");
            e.HasKey(x => x.Uuid);
            e.Property(x => x.Uuid).HasMaxLength(32);
            e.Property(x => x.Name).HasMaxLength(255);
            e.Property(x => x.Description).HasMaxLength(2048);
            e.Property(x => x.State).HasMaxLength(32);
            e.Property(x => x.Type).HasMaxLength(32);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.HasIndex(x => x.Name);
        });
        modelBuilder.Entity<TagEntity>(e =>
        {
            e.ToTable("tags");
            e.HasKey(x => x.Uuid);
            e.Property(x => x.Uuid).HasMaxLength(32);
            e.Property(x => x.ResourceUuid).HasMaxLength(32);
            e.Property(x => x.ResourceType).HasMaxLength(64);
            e.Property(x => x.Tag).HasMaxLength(2048);
            e.Property(x => x.Type).HasMaxLength(16);
            e.Property(x => x.Version).IsConcurrencyToken();
            // (resource, type, resource type) serves the per-row EXISTS probes of tag conditions with patterns;
            // (type, tag) serves exact tag values. Tag text stays out of unique indexes: PostgreSQL caps
            // an index entry near 2.7 kB, less than a 2048-character multibyte tag.
            e.HasIndex(x => new { x.ResourceUuid, x.Type, x.ResourceType });
            e.HasIndex(x => new { x.Type, x.Tag });
            // Tags cannot outlive (or be created without) the resource they describe.
            e.HasOne<ResourceEntity>().WithMany().HasForeignKey(x => x.ResourceUuid).OnDelete(DeleteBehavior.Cascade);
        });
        modelBuilder.Entity<GlobalConfigEntity>(e =>
        {
            e.ToTable("global_configs");
            e.HasKey(x => x.Id);
            e.Property(x => x.Category).HasMaxLength(64);
            e.Property(x => x.Name).HasMaxLength(255);
            e.Property(x => x.Description).HasMaxLength(2048);
            e.Property(x => x.DefaultValue).HasMaxLength(2048);
            e.Property(x => x.Value).HasMaxLength(2048);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.HasIndex(x => new { x.Category, x.Name }).IsUnique();
        });
        modelBuilder.Entity<AccountEntity>(e =>
        {
            e.ToTable("accounts");
            e.HasKey(x => x.Uuid);
            e.Property(x => x.Uuid).HasMaxLength(32);
            e.Property(x => x.Name).HasMaxLength(255);
            e.Property(x => x.PasswordHash).HasMaxLength(255);
            e.Property(x => x.Type).HasMaxLength(32);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.HasIndex(x => x.Name).IsUnique();
        });
        modelBuilder.Entity<SessionEntity>(e =>
        {
            e.ToTable("sessions");
            e.HasKey(x => x.Uuid);
            e.Property(x => x.Uuid).HasMaxLength(32);
            e.Property(x => x.AccountUuid).HasMaxLength(32);
            e.Property(x => x.UserUuid).HasMaxLength(32);
            e.HasIndex(x => x.ExpiredDate);
        });
        modelBuilder.Entity<ApiJobEntity>(e =>
        {
            e.ToTable("api_jobs");
            e.HasKey(x => x.Uuid);
            e.Property(x => x.Uuid).HasMaxLength(32);
            e.Property(x => x.ApiName).HasMaxLength(128);
            e.Property(x => x.State).HasMaxLength(16);
            e.Property(x => x.SessionUuid).HasMaxLength(32);
            e.Property(x => x.NodeId).HasMaxLength(64);
            e.Property(x => x.WebHook).HasMaxLength(2048);
            e.HasIndex(x => new { x.State, x.NodeId });
            e.HasIndex(x => x.FinishDate);
        });

        ConfigureBackupStorage(modelBuilder);
        ConfigureImages(modelBuilder);
        ConfigureExports(modelBuilder);
        ConfigureVolumeArchives(modelBuilder);
        ConfigureCluster(modelBuilder);
        ConfigureNfs(modelBuilder);
        ConfigureFidelity(modelBuilder);

        ConfigureObjectStores(modelBuilder);
        ApplySnakeCaseAndUtc(modelBuilder);
    }

    private static void ConfigureBackupStorage(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<BackupStorageEntity>(e =>
        {
            e.ToTable("backup_storages");
            e.HasKey(x => x.Uuid);
            e.Property(x => x.Uuid).HasMaxLength(32);
            e.Property(x => x.Name).HasMaxLength(255);
            e.Property(x => x.Description).HasMaxLength(2048);
            e.Property(x => x.Url).HasMaxLength(2048);
            e.Property(x => x.Type).HasMaxLength(64);
            e.Property(x => x.State).HasMaxLength(32);
            e.Property(x => x.Status).HasMaxLength(32);
            e.Property(x => x.LastError).HasMaxLength(4096);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.HasOne<ResourceEntity>().WithOne().HasForeignKey<BackupStorageEntity>(x => x.Uuid).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => x.Name);
        });
        modelBuilder.Entity<SftpBackupStorageEntity>(e =>
        {
            e.ToTable("sftp_backup_storages");
            e.HasKey(x => x.Uuid);
            e.Property(x => x.Uuid).HasMaxLength(32);
            e.Property(x => x.Hostname).HasMaxLength(255);
            e.Property(x => x.Username).HasMaxLength(255);
            e.Property(x => x.CredentialKind).HasMaxLength(16);
            e.Property(x => x.CredentialCipher).HasMaxLength(16384);
            e.Property(x => x.HostKeyFingerprint).HasMaxLength(128);
            e.Property(x => x.Version).IsConcurrencyToken();
            e.HasOne<BackupStorageEntity>().WithOne().HasForeignKey<SftpBackupStorageEntity>(x => x.Uuid).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.Hostname, x.SshPort });
        });
        modelBuilder.Entity<BackupStorageZoneRefEntity>(e =>
        {
            e.ToTable("backup_storage_zone_refs");
            e.HasKey(x => x.Id);
            e.Property(x => x.BackupStorageUuid).HasMaxLength(32);
            e.Property(x => x.ZoneUuid).HasMaxLength(32);
            e.HasOne<BackupStorageEntity>().WithMany().HasForeignKey(x => x.BackupStorageUuid).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<ZoneEntity>().WithMany().HasForeignKey(x => x.ZoneUuid).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.BackupStorageUuid, x.ZoneUuid }).IsUnique();
            e.HasIndex(x => x.ZoneUuid);
        });
        modelBuilder.Entity<BackupStorageEventEntity>(e =>
        {
            e.ToTable("backup_storage_events");
            e.HasKey(x => x.Id);
            e.Property(x => x.BackupStorageUuid).HasMaxLength(32);
            e.Property(x => x.Path).HasMaxLength(128);
            e.Property(x => x.OldStatus).HasMaxLength(32);
            e.Property(x => x.NewStatus).HasMaxLength(32);
            e.Property(x => x.Reason).HasMaxLength(4096);
            e.HasIndex(x => new { x.BackupStorageUuid, x.Id });
            e.HasIndex(x => x.CreateDate);
            e.HasIndex(x => x.DeliveryPending);
        });
        ConfigureWebhooks(modelBuilder);
    }

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        BumpVersions();
        return base.SaveChanges(acceptAllChangesOnSuccess);
    }

    public override Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        BumpVersions();
        return base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
    }

    private void BumpVersions()
    {
        foreach (var entry in ChangeTracker.Entries<IVersioned>())
        {
            if (entry.State == EntityState.Modified)
            {
                entry.Entity.Version++;
            }
        }
    }

    private static readonly ValueConverter<DateTime, DateTime> UtcConverter = new(
        v => v.Kind == DateTimeKind.Utc ? v : DateTime.SpecifyKind(v.ToUniversalTime(), DateTimeKind.Utc),
        v => DateTime.SpecifyKind(v, DateTimeKind.Utc));

    private static void ApplySnakeCaseAndUtc(ModelBuilder modelBuilder)
    {
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(SnakeCase(property.Name));
                if (property.ClrType == typeof(DateTime) || property.ClrType == typeof(DateTime?))
                {
                    property.SetValueConverter(UtcConverter);
                }
            }

            foreach (var index in entity.GetIndexes())
            {
                index.SetDatabaseName("ix_" + entity.GetTableName() + "_" + string.Join("_", index.Properties.Select(p => SnakeCase(p.Name))));
            }
        }
    }

    public static string SnakeCase(string name)
    {
        var sb = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                if (i > 0)
                {
                    sb.Append('_');
                }

                sb.Append(char.ToLowerInvariant(c));
            }
            else
            {
                sb.Append(c);
            }
        }

        return sb.ToString();
    }
}
