using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.BackupStorage.FileSystem;

/// <summary>AddFileSystemBackupStorage: a directory of the Stowage server, then the shared add procedure (<see cref="BackupStorageAdd"/>).</summary>
public static class AddFileSystemBackupStorage
{
    public static ApiDescriptor Api { get; } = new()
    {
        Name = "AddFileSystemBackupStorage",
        Method = "POST",
        Path = FileSystemStorageType.ApiPath,
        BodyKey = "params",
        TakesTags = true,
        ResultClass = FileSystemStorageType.InventoryClassName,
        Description = "Add a FileSystem backup storage: a directory the Stowage server sees (a local disk, or a shared mount every server of a cluster sees at the same path)",
        Params = [.. BackupStorageAdd.Params("absolute directory on the Stowage server (created when missing, unless it lies under an unmounted mount point of /etc/fstab)")],
        SerialKey = _ => SerialKey,
        Handler = HandleAsync,
    };

    /// <summary>Adds of this type run one at a time, so the overlap check inside the add's transaction sees every earlier add.</summary>
    public const string SerialKey = "file-system-backup-storage-add";

    public static Task<ApiReply> HandleAsync(ApiContext ctx)
    {
        var a = ctx.Args;
        var url = FileSystemStorageType.NormalizeUrl(a.RequiredString("url"));
        BackupStorageAdd.CheckType(a, Api.Name, FileSystemStorageType.TypeName);
        return BackupStorageAdd.RunAsync(ctx, new NewBackupStorage(
            FileSystemStorageType.TypeName, url, $"file system backup storage[name:{a.RequiredString("name")}, url:{url}]", null,
            async (db, uuid, now, ct) =>
            {
                var others = await db.BackupStorages.AsNoTracking().Where(b => b.Type == FileSystemStorageType.TypeName).Select(b => new { b.Uuid, b.Url }).ToListAsync(ct);
                if (others.FirstOrDefault(o => BackupStorageParams.Overlaps(o.Url.TrimEnd('/'), url)) is { } clash)
                {
                    throw ApiException.Operation($"the url[{url}] overlaps the url[{clash.Url}] of backup storage[uuid:{clash.Uuid}]; FileSystem backup storages must use separate directories");
                }
            }));
    }
}
