using Stowage.Nfs;
using Stowage.Persistence.Entities;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.BackupStorage.Nfs;

/// <summary>AddNfsBackupStorage: the NFS parameters and checks, then the shared add procedure (<see cref="BackupStorageAdd"/>).</summary>
public static class AddNfsBackupStorage
{
    public static ApiDescriptor Api { get; } = new()
    {
        Name = "AddNfsBackupStorage",
        Method = "POST",
        Path = NfsStorageType.ApiPath,
        BodyKey = "params",
        TakesTags = true,
        ResultClass = NfsStorageType.InventoryClassName,
        Description = "Add an NFS backup storage: a directory on an NFS export that Stowage speaks NFSv3 to itself (no kernel mount)",
        Params =
        [
            .. BackupStorageAdd.Params("server:/export/path or nfs://server[:port]/export/path"),
            NfsRules.NfsPort,
            NfsRules.MountPort,
            NfsRules.Uid,
            NfsRules.Gid,
        ],
        SerialKey = a => SerialKey(a),
        Handler = HandleAsync,
    };

    private static string? SerialKey(ApiArguments a)
    {
        try
        {
            return NfsRules.ServerSerialKey(NfsLocation.Parse(a.String("url") ?? "", a.Int("nfsPort"), a.Int("mountPort")));
        }
        catch (FormatException)
        {
            return null; // the handler refuses it
        }
    }

    private static Task<ApiReply> HandleAsync(ApiContext ctx)
    {
        var a = ctx.Args;
        var location = NfsRules.Parse(a.RequiredString("url"), a.Int("nfsPort"), a.Int("mountPort"));
        BackupStorageAdd.CheckType(a, Api.Name, NfsStorageType.TypeName);
        var url = location.ToString();
        return BackupStorageAdd.RunAsync(ctx, new NewBackupStorage(
            NfsStorageType.TypeName, url, $"nfs backup storage[name:{a.RequiredString("name")}, url:{url}]", null,
            async (db, uuid, now, ct) =>
            {
                await NfsRules.CheckNoOverlapAsync(db, location, null, ct);
                db.NfsBackupStorages.Add(new NfsBackupStorageEntity
                {
                    Uuid = uuid, Server = location.Server, ExportPath = location.Path, NfsPort = location.NfsPort, MountPort = location.MountPort,
                    Uid = a.Int("uid") ?? 0, Gid = a.Int("gid") ?? 0, LastOpDate = now,
                });
            }));
    }
}
