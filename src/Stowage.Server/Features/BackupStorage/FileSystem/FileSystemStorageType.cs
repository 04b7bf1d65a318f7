using Stowage.Core.Storage;
using Stowage.FileSystem;
using Stowage.Persistence;
using Stowage.Persistence.Query;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.BackupStorage.FileSystem;

/// <summary>
/// The FileSystem storage type: a directory the Stowage server sees (local disk, or a shared mount every server
/// of a cluster sees at the same path). The driver is in <c>Stowage.FileSystem</c>; the type keeps nothing beyond
/// the common backup storage row (the url is the directory), so it has no table of its own.
/// </summary>
/// <param name="dataDir">The server's data directory, which <c>file:///</c> sources may never come from.</param>
public sealed class FileSystemStorageType(string dataDir) : IStorageTypeModule
{
    public const string TypeName = FileSystemBackupStorageDriver.TypeName;
    public const string InventoryClassName = "org.zstack.storage.backup.filesystem.FileSystemBackupStorageInventory";
    public const string ApiPath = "/backup-storage/file-system";
    public const string ReconnectError = "BS.FS.1000";

    public string Type => TypeName;

    public string InventoryClass => InventoryClassName;

    public IEnumerable<ApiDescriptor> Apis =>
    [
        AddFileSystemBackupStorage.Api,
        UpdateFileSystemBackupStorage.Api,
        ReconnectBackupStorage.Define("ReconnectFileSystemBackupStorage", ApiPath + "/{uuid}/actions", "reconnectFileSystemBackupStorage", ReconnectError, InventoryClassName),
        .. QueryApi.Define("QueryFileSystemBackupStorage", ApiPath, "fileSystemBackupStorage", InventoryClassName,
            (db, rows, ct) => Task.FromResult(rows), "Query FileSystem backup storages (directories the Stowage server sees)"),
    ];

    public IEnumerable<QueryResource> QueryResources(StorageTypeRegistry types) =>
        [BackupStorageQueries.ForType(types, "fileSystemBackupStorage", "FileSystemBackupStorageInventory", TypeName, [])];

    public void AddServices(IServiceCollection services)
    {
        Core.Errors.Errors.Register(ReconnectError, "Unable to reconnect to file system backup storage");
        services.AddSingleton(sp => new FileSystemBackupStorageDriver(sp.GetRequiredService<ILogger<FileSystemBackupStorageDriver>>())
        {
            DeniedSourceRoots = [.. new FileSystemBackupStorageDriver().DeniedSourceRoots, Path.GetFullPath(dataDir).TrimEnd('/')],
        });
        services.AddSingleton<IBackupStorageDriver>(sp => sp.GetRequiredService<FileSystemBackupStorageDriver>());
    }

    public Task<IStorageTypeRow?> FindAsync(StowageDbContext db, string uuid, bool tracked, CancellationToken ct) =>
        Task.FromResult<IStorageTypeRow?>(EmptyStorageTypeRow.Instance);

    public Task<IReadOnlyDictionary<string, IStorageTypeRow>> FindManyAsync(StowageDbContext db, IReadOnlyCollection<string> uuids, CancellationToken ct) =>
        Task.FromResult<IReadOnlyDictionary<string, IStorageTypeRow>>(uuids.ToDictionary(u => u, IStorageTypeRow (_) => EmptyStorageTypeRow.Instance));

    /// <summary>
    /// The url as stored: absolute, no empty, <c>.</c> or <c>..</c> segment, no trailing slash, not under /dev, /proc
    /// or /sys. Any other character is allowed: the driver passes paths to system calls, never to a shell.
    /// </summary>
    public static string NormalizeUrl(string url)
    {
        var trimmed = url.Trim();
        var normalized = trimmed.StartsWith('/') ? "/" + string.Join('/', trimmed.Split('/', StringSplitOptions.RemoveEmptyEntries)) : trimmed;
        return FileSystemBackupStorageDriver.CheckUrl(normalized) is { } reason
            ? throw Core.Errors.ApiException.Argument($"the url[{url}] is not usable: {reason}")
            : normalized;
    }
}
