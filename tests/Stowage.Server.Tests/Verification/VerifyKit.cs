using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Verification;

/// <summary>The calls and file damage of the verification tests.</summary>
public static class VerifyKit
{
    public static Task<ApiResponse> VerifyImageAsync(ZStackClient client, string image, string? bs = null, bool? repair = null) =>
        client.CallAsync(HttpMethod.Put, $"/images/{image}/actions", new JsonObject { ["verifyImage"] = Args(bs, repair) });

    public static Task<ApiResponse> VerifyBackupStorageAsync(ZStackClient client, string bs, bool? repair = null) =>
        BsKit.ActionAsync(client, $"/backup-storage/{bs}/actions", "verifyBackupStorage", repair is null ? null : new JsonObject { ["repair"] = repair });

    public static JsonObject Args(string? bs, bool? repair)
    {
        var args = new JsonObject();
        if (bs is not null)
        {
            args["backupStorageUuids"] = new JsonArray(bs);
        }

        if (repair is not null)
        {
            args["repair"] = repair;
        }

        return args;
    }

    /// <summary>The copy of <paramref name="image"/> on <paramref name="bs"/> as QueryImage shows it.</summary>
    public static async Task<JsonNode> CopyAsync(ZStackClient client, string image, string bs)
    {
        var images = await ImageKit.QueryAsync(client, "q=uuid=" + image);
        return images.Single()!["backupStorageRefs"]!.AsArray().Single(r => r!["backupStorageUuid"]!.GetValue<string>() == bs)!;
    }

    /// <summary>The events of one kind recorded for a backup storage.</summary>
    public static async Task<List<string>> EventsAsync(StowageHost host, string bs, string path)
    {
        await using var db = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        return await db.BackupStorageEvents.Where(e => e.BackupStorageUuid == bs && e.Path == path).OrderBy(e => e.Id).Select(e => e.Reason ?? "").ToListAsync();
    }

    /// <summary>Cuts a stored file to half its size (read-only files: the mode is lifted and put back).</summary>
    public static void Truncate(string path)
    {
        var mode = Proc.Run("stat", "-c", "%a", path).Trim();
        Proc.Run("chmod", "u+w", path);
        Proc.Run("truncate", "-s", (new FileInfo(path).Length / 2).ToString(System.Globalization.CultureInfo.InvariantCulture), path);
        Proc.Run("chmod", mode, path);
    }
}
