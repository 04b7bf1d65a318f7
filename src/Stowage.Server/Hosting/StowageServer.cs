using Stowage.Core.Config;
using Stowage.Core.Resources;
using Stowage.Persistence;
using Stowage.Persistence.Query;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.Logging.Console;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Stowage.Core.Storage;
using Stowage.Server.Cluster;
using Stowage.Server.WebConsole;
using Stowage.Server.Features.BackupStorage;
using Stowage.Server.Features.BackupStorage.FileSystem;
using Stowage.Server.Features.BackupStorage.Nfs;
using Stowage.Server.Features.BackupStorage.S3;
using Stowage.Server.Features.BackupStorage.Sftp;
using Stowage.Server.Features.BackupStorage.Swift;
using Stowage.Server.Features.Export;
using Stowage.Server.Features.GlobalConfigs;
using Stowage.Server.Features.Images;
using Stowage.Server.Storage;
using Stowage.Server.Features.Meta;
using Stowage.Server.Features.Sessions;
using Stowage.Server.Features.Tags;
using Stowage.Server.Features.VolumeArchives;
using Stowage.Server.Features.Zones;
using Stowage.Server.Identity;
using Stowage.Server.Jobs;
using Stowage.Server.Monitoring;
using Stowage.Server.Protocol;

namespace Stowage.Server.Hosting;

/// <summary>Builds and prepares the server; used by Program and by tests that run it on a loopback port.</summary>
public static class StowageServer
{
    public static WebApplication Build(string[] args, Action<IServiceCollection>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        builder.Configuration.AddEnvironmentVariables();
        var settings = StowageSettings.From(builder.Configuration);
        AdminAccount.EnsureSafe(settings.AdminPassword, settings.Urls);
        var tightened = DataDirectory.Secure(settings.DataDir, settings.Database.Provider == DatabaseProvider.Sqlite);
        builder.WebHost.UseUrls([.. settings.Urls]);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            RequestTargetLimit.Configure(k);
        });
        builder.Logging.AddConsole(o => o.FormatterName = EscapingConsoleFormatter.Name).AddConsoleFormatter<EscapingConsoleFormatter, SimpleConsoleFormatterOptions>();
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        // HttpClientFactory logs every request, and a refused or cut source as an exception with its stack trace;
        // the copy logs that failure in one line itself (issue 14: expected failures are not stack traces).
        builder.Logging.AddFilter("System.Net.Http.HttpClient", LogLevel.Warning);

        var services = builder.Services;
        services.AddSingleton(settings);
        services.AddSingleton(settings.MetricsAccess);
        services.AddSingleton<Monitoring.StowageMetrics>();
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(NodeIdentity.LoadOrCreate(settings.DataDir));
        services.AddSingleton(new StowageDbContextFactory(settings.Database));
        services.AddSingleton(sp => new GlobalConfigCatalog([.. CoreGlobalConfigs.All, .. ImageConfigs.All, ImageSweeper.SweepInterval, StorageGc.Interval, CapacityAlerts.Threshold, EventRetention.Retention, Features.Webhooks.WebhookDispatcher.MaxAttempts, .. ExportConfigs.All,
            .. Features.Verification.VerificationConfigs.All,
            .. sp.GetRequiredService<StorageTypeRegistry>().All.SelectMany(m => m.Configs)]));
        services.AddSingleton<GlobalConfigStore>();
        services.AddSingleton(sp =>
        {
            var types = sp.GetRequiredService<StorageTypeRegistry>();
            return new QueryRegistry([ZoneRules.Query, GlobalConfigFeature.Query, .. TagRules.QueryResources, BackupStorageQueries.BackupStorage(types),
                .. types.All.SelectMany(m => m.QueryResources(types)), ImageQueries.Image, ImageQueries.BackupStorageRef, Features.LongJobs.LongJobFeature.Query, PendingDeletionFeature.Query, .. VolumeArchiveQueries.All, ClusterFeature.Query,
                EventFeature.Query, Features.Webhooks.WebhookFeature.Query, Features.Webhooks.WebhookFeature.DeliveryQuery]);
        });
        services.AddSingleton<QueryExecutor>();
        services.AddSingleton<SessionService>();
        services.AddSingleton<JobStore>();
        services.AddSingleton(new JobOptions());
        services.AddSingleton<JobRunner>();
        services.AddHostedService(sp => sp.GetRequiredService<JobRunner>());
        services.AddSingleton<WebHookSender>();
        services.AddHostedService(sp => sp.GetRequiredService<WebHookSender>());
        services.AddHostedService<MaintenanceService>();
        services.AddHttpClient(WebHookSender.ClientName, c => c.Timeout = TimeSpan.FromSeconds(10));
        services.AddSingleton<ApiDispatcher>();
        services.AddSingleton<Features.LongJobs.LongJobRecords>();
        services.AddSingleton<IApiFeature, Features.LongJobs.LongJobFeature>();
        services.AddSingleton<IApiFeature, SessionFeature>();
        services.AddSingleton<IApiFeature, ZoneFeature>();
        services.AddSingleton<IApiFeature, GlobalConfigFeature>();
        services.AddSingleton<IApiFeature, TagFeature>();
        services.AddSingleton<IApiFeature, BackupStorageFeature>();
        services.AddSingleton<IApiFeature, Features.Jobs.JobFeature>();
        AddBackupStorage(services, settings);
        AddImages(services);
        ExportFeature.AddExports(services);
        VolumeArchiveFeature.AddVolumeArchives(services);
        Features.Verification.VerificationFeature.AddVerification(services);
        services.AddSingleton<ApiCatalog>();
        configure?.Invoke(services);

        var app = builder.Build();
        if (tightened.Count > 0)
        {
            DataDirectory.LogTightened(app.Logger, settings.DataDir, tightened.Count, string.Join(", ", tightened));
        }

        if (settings.Database.Provider == DatabaseProvider.Sqlite)
        {
            var dirLock = DataDirectoryLock.Acquire(settings.DataDir);
            app.Lifetime.ApplicationStopped.Register(dirLock.Dispose);
        }

        app.UseRequestTargetLimit();
        app.MapGet(OpenApiDocument.Path, (ApiCatalog catalog) => Results.Text(OpenApiDocument.Build(catalog).ToJsonString(ZStackJson.Options), "application/json"));
        app.MapGet("/v1/openapi.json", (ApiCatalog catalog) => Results.Text(OpenApiDocument.Build(catalog).ToJsonString(ZStackJson.Options), "application/json"));
        app.MapApiList();
        app.MapImageUploads();
        app.MapExports();
        app.MapConsole();
        app.MapMetricsEndpoint();
        app.MapZStackApis();
        return app;
    }

    private static void AddBackupStorage(IServiceCollection services, StowageSettings settings)
    {
        BackupStorageErrors.Register();
        BackupStorageQueries.RegisterResourceType();
        AddKeyRing(services, settings);
        services.AddSingleton<CredentialProtector>();
        services.AddSingleton<KeyedLocks>();
        services.AddSingleton<BackupStorageEvents>();
        services.AddSingleton<BackupStorageConnector>();
        services.AddSingleton<StorageTypeRegistry>();
        services.AddSingleton<IApiFeature, StorageTypeFeature>();
        services.AddSingleton<BackupStorageDriverRegistry>();

        // The storage types: one call each brings the driver, the type's APIs, query resource and inventory.
        services.AddStorageType(new SftpStorageType(settings.ExportTransport, settings.WriteTransport));
        services.AddStorageType(new FileSystemStorageType(settings.DataDir));
        services.AddStorageType<NfsStorageType>();
        services.AddStorageType<SwiftStorageType>();
        services.AddStorageType<S3StorageType>();
        services.AddSingleton<ISystemTagValidator, BackupStorageTags>();
        AddOwnership(services, settings);
        services.AddSingleton<PingStats>();
        services.AddSingleton<CapacityAlerts>();
        services.AddSingleton<IApiFeature, EventFeature>();
        services.AddSingleton<EventRetention>();
        services.AddHostedService(sp => sp.GetRequiredService<EventRetention>());
        Features.Webhooks.WebhookFeature.AddWebhooks(services);
        services.AddSingleton<BackupStorageTracker>();
        services.AddHostedService(sp => sp.GetRequiredService<BackupStorageTracker>());
    }

    /// <summary>
    /// The key ring that encrypts storage credentials: in the data directory for a single server, in the
    /// database (encrypted with the cluster secret) on PostgreSQL, where every server must read it.
    /// </summary>
    private static void AddKeyRing(IServiceCollection services, StowageSettings settings)
    {
        var protection = services.AddDataProtection().SetApplicationName("stowage");
        if (settings.Database.Provider != DatabaseProvider.Postgres)
        {
            // Made 0700 here: the key ring creates it lazily, under the process umask.
            var keys = Path.Combine(settings.DataDir, "keys");
            if (OperatingSystem.IsWindows())
            {
                Directory.CreateDirectory(keys);
            }
            else
            {
                Directory.CreateDirectory(keys, DataDirectory.DirectoryMode);
            }

            protection.PersistKeysToFileSystem(new DirectoryInfo(keys));
            return;
        }

        var secret = ClusterSecret.Load(settings.Cluster.SecretFile, settings.DataDir);
        services.AddSingleton(secret);
        services.AddSingleton<DatabaseXmlRepository>();
        services.AddOptions<KeyManagementOptions>().Configure<DatabaseXmlRepository>((o, repository) =>
        {
            o.XmlRepository = repository;
            o.XmlEncryptor = new ClusterSecretXmlEncryptor(secret);
        });
    }

    /// <summary>SQLite serves one server; on PostgreSQL every server is a member of the cluster (of one, at least).</summary>
    private static void AddOwnership(IServiceCollection services, StowageSettings settings)
    {
        services.AddSingleton<ClusterForwarder>();
        services.AddSingleton<IApiFeature, ClusterFeature>();
        services.AddHttpClient(ClusterForwarder.ClientName, c => c.Timeout = TimeSpan.FromMinutes(10));
        if (settings.Database.Provider == DatabaseProvider.Postgres)
        {
            services.AddSingleton<ClusterReaper>();
            services.AddSingleton<ClusterMembership>();
            services.AddSingleton<IBackupStorageOwnership>(sp => sp.GetRequiredService<ClusterMembership>());
            services.AddHostedService(sp => sp.GetRequiredService<ClusterMembership>());
        }
        else
        {
            services.AddSingleton<IBackupStorageOwnership, SingleServerOwnership>();
        }
    }

    private static void AddImages(IServiceCollection services)
    {
        ResourceTypes.Register(ImageRules.ResourceType);
        services.AddSingleton<IApiFeature, ImageFeature>();
        services.AddSingleton<BackupStorageCapacity>();
        services.AddSingleton<TransferRegistry>();
        services.AddSingleton<ImageCopier>();
        services.AddSingleton<BackupStorageCopies>();
        services.AddSingleton<ImageRemoval>();
        services.AddSingleton<ImageUploads>();
        services.AddHostedService<ImageUploadReaper>();
        services.AddSingleton<IBackupStorageDeletionHook, ImageDeletionHook>();
        services.AddSingleton<ImageExpungeService>();
        services.AddHostedService(sp => sp.GetRequiredService<ImageExpungeService>());
        services.AddSingleton<StorageGc>();
        services.AddHostedService(sp => sp.GetRequiredService<StorageGc>());
        services.AddSingleton<IApiFeature, PendingDeletionFeature>();
        services.AddSingleton<IApiFeature, TrashFeature>();
        services.AddSingleton<ImageTrash>();
        services.AddSingleton<ImageMetadataFile>();
        services.AddSingleton<ImageImporter>();
        services.AddSingleton<ImageSweeper>();
        services.AddHostedService(sp => sp.GetRequiredService<ImageSweeper>());

        // Redirects are followed by SourceProbe and ImageCopier, hop by hop, through SourceRules.
        services.AddHttpClient(ImageCopier.HttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new HttpClientHandler { AllowAutoRedirect = false });
        services.AddHttpClient(ImageCopier.InsecureHttpClientName, c => c.Timeout = Timeout.InfiniteTimeSpan)
            .ConfigurePrimaryHttpMessageHandler(() => new HttpClientHandler
            {
                AllowAutoRedirect = false, ServerCertificateCustomValidationCallback = HttpClientHandler.DangerousAcceptAnyServerCertificateValidator,
            });
    }

    /// <summary>Migrates, seeds and recovers before the first request is served.</summary>
    public static async Task PrepareAsync(WebApplication app, CancellationToken cancellationToken)
    {
        var sp = app.Services;
        var settings = sp.GetRequiredService<StowageSettings>();
        await sp.GetRequiredService<StowageDbContextFactory>().MigrateAsync(cancellationToken);

        // The migration may have created the key ring or other files under a loose umask.
        if (DataDirectory.Secure(settings.DataDir, false) is { Count: > 0 } late)
        {
            DataDirectory.LogTightened(app.Logger, settings.DataDir, late.Count, string.Join(", ", late));
        }
        if (sp.GetService<ClusterSecret>() is { } secret)
        {
            ClusterSecretXmlDecryptor.VerifyAll(sp.GetRequiredService<DatabaseXmlRepository>(), secret);
        }

        await sp.GetRequiredService<GlobalConfigStore>().LoadAsync(cancellationToken);
        await AdminAccount.SeedAsync(sp.GetRequiredService<StowageDbContextFactory>(), settings.AdminPassword, sp.GetRequiredService<TimeProvider>(), cancellationToken);
        await sp.GetRequiredService<JobStore>().FailInterruptedAsync(cancellationToken);
        await ImageRecovery.RecoverAsync(sp, cancellationToken);
        await VolumeArchiveRecovery.RecoverAsync(sp, cancellationToken);
        if (settings.DefaultBackupStorage is { } directory)
        {
            await DefaultBackupStorage.EnsureAsync(sp, directory, cancellationToken);
        }
    }
}
