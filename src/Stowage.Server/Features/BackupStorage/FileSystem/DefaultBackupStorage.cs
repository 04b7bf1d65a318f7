using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Persistence;
using Stowage.Server.Identity;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.BackupStorage.FileSystem;

/// <summary>
/// <c>--default-backup-storage DIR</c>: at start the server makes sure a FileSystem backup storage named
/// <c>default</c> has DIR as its url, adding it through AddFileSystemBackupStorage (so every rule of the API
/// applies, and images listed in DIR's metadata file are imported back) when none does. An existing one is left
/// to the tracker's boot connect; a deleted one comes back at the next start while the option is given.
/// A failure is logged and the server starts anyway.
/// </summary>
public static partial class DefaultBackupStorage
{
    public const string Name = "default";

    public static async Task EnsureAsync(IServiceProvider services, string directory, CancellationToken ct)
    {
        var logger = services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(DefaultBackupStorage));
        var dbFactory = services.GetRequiredService<StowageDbContextFactory>();
        string adminUuid;
        await using (var db = dbFactory.CreateDbContext())
        {
            if (await FindAsync(db, directory, ct) is { } existing)
            {
                LogKept(logger, existing, directory);
                return;
            }

            adminUuid = await db.Accounts.AsNoTracking().Where(a => a.Name == AdminAccount.Name).Select(a => a.Uuid).FirstAsync(ct);
        }

        var args = new ApiArguments();
        args.Set("name", Name);
        args.Set("description", "added by --default-backup-storage: a directory of this server");
        args.Set("url", directory);
        args.Set("importImages", true);
        // As the admin account: images imported from the directory's metadata file belong to it.
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow().UtcDateTime;
        var ctx = new ApiContext
        {
            Api = AddFileSystemBackupStorage.Api, Args = args, Services = services, CancellationToken = ct,
            Session = new SessionInfo(string.Empty, adminUuid, adminUuid, now, now),
        };
        try
        {
            await AddFileSystemBackupStorage.HandleAsync(ctx);
            await using var db = dbFactory.CreateDbContext();
            LogAdded(logger, await FindAsync(db, directory, ct) ?? "?", directory);
        }
        catch (ApiException e)
        {
            LogFailed(logger, directory, e.Error.Details ?? e.Message);
        }
    }

    private static Task<string?> FindAsync(StowageDbContext db, string directory, CancellationToken ct) =>
        db.BackupStorages.AsNoTracking().Where(b => b.Type == FileSystemStorageType.TypeName && b.Url == directory).Select(b => b.Uuid).FirstOrDefaultAsync(ct);

    [LoggerMessage(Level = LogLevel.Information, Message = "default backup storage {Uuid} (FileSystemBackupStorage) at {Directory}")]
    private static partial void LogKept(ILogger logger, string uuid, string directory);

    [LoggerMessage(Level = LogLevel.Information, Message = "added the default backup storage {Uuid} (FileSystemBackupStorage, name default) at {Directory}")]
    private static partial void LogAdded(ILogger logger, string uuid, string directory);

    [LoggerMessage(Level = LogLevel.Warning, Message = "could not add the default backup storage at {Directory}: {Reason}")]
    private static partial void LogFailed(ILogger logger, string directory, string reason);
}
