using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Nfs;
using Stowage.Persistence;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.BackupStorage.Nfs;

/// <summary>The parameters and checks the NFS type's Add and Update APIs share.</summary>
public static class NfsRules
{
    public static ParamSpec NfsPort => new("nfsPort", ParamType.Int) { Min = 1, Max = 65535, Description = "NFS port when the server does not publish it through rpcbind (an nfs://server:port url gives it too)" };

    public static ParamSpec MountPort => new("mountPort", ParamType.Int) { Min = 1, Max = 65535, Description = "MOUNT port when the server does not publish it through rpcbind" };

    public static ParamSpec Uid => new("uid", ParamType.Int) { Min = 0, Max = int.MaxValue, Description = "AUTH_SYS uid Stowage speaks as (default 0)" };

    public static ParamSpec Gid => new("gid", ParamType.Int) { Min = 0, Max = int.MaxValue, Description = "AUTH_SYS gid Stowage speaks as (default 0)" };

    /// <summary>Parses the url with the port parameters (server in lower case); a bad one is a bad request naming the reason.</summary>
    public static NfsLocation Parse(string url, int? nfsPort, int? mountPort)
    {
        NfsLocation location;
        try
        {
            location = NfsLocation.Parse(url, nfsPort, mountPort);
        }
        catch (FormatException e)
        {
            throw ApiException.Argument($"the url[{url}] is not an NFS location: {e.Message}");
        }
        // The path on the server follows the rules of every directory url (no root, no /dev, /proc, /sys, safe characters).
        _ = BackupStorageParams.NormalizeDirectoryUrl(location.Path);
        // Host names are case-insensitive: one spelling, so overlap checks and serial keys compare equal.
        return location with { Server = location.Server.ToLowerInvariant() };
    }

    /// <summary>Refuses a directory that contains or lies inside another NFS backup storage's on the same server.</summary>
    public static async Task CheckNoOverlapAsync(StowageDbContext db, NfsLocation location, string? exceptUuid, CancellationToken ct)
    {
        var others = await db.NfsBackupStorages.AsNoTracking()
            .Where(s => s.Server == location.Server && s.Uuid != exceptUuid)
            .Select(s => new { s.Uuid, s.ExportPath })
            .ToListAsync(ct);
        var clash = others.FirstOrDefault(o => BackupStorageParams.Overlaps(o.ExportPath, location.Path));
        if (clash is not null)
        {
            throw ApiException.Operation($"the url[{location}] overlaps the directory {clash.ExportPath} of backup storage[uuid:{clash.Uuid}] on the same NFS server; backup storages must use separate directories");
        }
    }

    public static string ServerSerialKey(NfsLocation location) => $"nfs-server-{location.Server.ToLowerInvariant()}";
}
