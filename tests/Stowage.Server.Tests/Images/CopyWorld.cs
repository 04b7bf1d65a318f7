using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Images;

/// <summary>
/// A server with one backup storage on each of two sshd instances (same machine, same user, different
/// ports and host keys) and an image (or a volume snapshot or backup: <see cref="ItemPath"/>) on the first, for copies between backup storages.
/// </summary>
public sealed class CopyWorld : IAsyncDisposable
{
    private CopyWorld(StowageHost host, ZStackClient client)
    {
        Host = host;
        Client = client;
    }

    public StowageHost Host { get; }

    public ZStackClient Client { get; }

    public string Src { get; private set; } = "";

    public string SrcUrl { get; private set; } = "";

    public string Dst { get; private set; } = "";

    public string DstUrl { get; private set; } = "";

    /// <summary>The item copied: an image, or a volume snapshot or backup when <see cref="ItemPath"/> says so.</summary>
    public string Image { get; private set; } = "";

    /// <summary><c>/images</c>, <c>/volume-snapshots</c> or <c>/volume-backups</c>.</summary>
    public string ItemPath { get; private set; } = "/images";

    /// <summary>The body key of the copy action for <see cref="ItemPath"/>.</summary>
    public string Action => ItemPath switch
    {
        "/volume-snapshots" => "copyVolumeSnapshotToBackupStorage",
        "/volume-backups" => "copyVolumeBackupToBackupStorage",
        _ => "copyImageToBackupStorage",
    };

    public string SrcPath { get; private set; } = "";

    /// <summary>Registers a <paramref name="size"/>-byte image (or item at <paramref name="itemPath"/>) on the first sshd from a host file (random bytes, or sparse zeros when <paramref name="sparse"/>).</summary>
    public static async Task<CopyWorld> StartAsync(SshdFixture src, SshdFixture dst, long size, bool sparse = false, string itemPath = "/images")
    {
        var host = await StowageHost.StartAsync();
        var client = host.Client();
        await client.LoginAsync();
        var w = new CopyWorld(host, client) { SrcUrl = src.NewPath("src"), DstUrl = dst.NewPath("dst"), ItemPath = itemPath };
        w.Src = await BsKit.AddOkAsync(client, src, w.SrcUrl, "src");
        w.Dst = await BsKit.AddOkAsync(client, dst, w.DstUrl, "dst");

        var file = src.NewPath("file") + ".raw";
        if (sparse)
        {
            Proc.Run("truncate", "-s", size.ToString(System.Globalization.CultureInfo.InvariantCulture), file);
        }
        else
        {
            await File.WriteAllBytesAsync(file, ImageKit.RandomBytes((int)size));
        }

        Proc.Run("chown", $"{src.User}:", file);
        var image = itemPath == "/images"
            ? await ImageKit.AddOkAsync(client, "file://" + file, [w.Src])
            : await VolumeArchives.VolumeKit.AddOkAsync(client, itemPath, "file://" + file, [w.Src]);
        File.Delete(file);
        w.Image = image["uuid"]!.GetValue<string>();
        w.SrcPath = image["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>();
        return w;
    }

    /// <summary>
    /// The same world over any two types under test (<paramref name="src"/> and <paramref name="dst"/>, possibly the
    /// same type): the item comes from a file on the source's host when that type takes one, else over HTTP.
    /// </summary>
    public static async Task<CopyWorld> StartAsync(IStorageTypeFixture src, IStorageTypeFixture dst, int size, string itemPath = "/images")
    {
        var host = await StowageHost.StartAsync();
        var client = host.Client();
        await client.LoginAsync();
        var from = src.NewLocation("src");
        var to = dst.NewLocation("dst");
        var w = new CopyWorld(host, client) { SrcUrl = from.LocalPath, DstUrl = to.LocalPath, ItemPath = itemPath };
        w.Src = await src.AddOkAsync(client, from, "src");
        w.Dst = await dst.AddOkAsync(client, to, "dst");
        await using var http = await HttpSource.StartAsync();
        var url = http.Add("item.raw", ImageKit.RandomBytes(size));
        var image = itemPath == "/images"
            ? await ImageKit.AddOkAsync(client, url, [w.Src])
            : await VolumeArchives.VolumeKit.AddOkAsync(client, itemPath, url, [w.Src]);
        w.Image = image["uuid"]!.GetValue<string>();
        w.SrcInstallPath = image["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>();
        w.SrcPath = from.Local(w.SrcInstallPath);
        w.SrcLocation = from;
        w.DstLocation = to;
        return w;
    }

    /// <summary>
    /// Two backup storages of one type at <paramref name="from"/> and <paramref name="to"/> (for an object store: one
    /// container or bucket, two prefixes, so one store), their add parameters passed through <paramref name="adjust"/>,
    /// and an image of <paramref name="bytes"/> (over HTTP) on the first.
    /// </summary>
    public static async Task<CopyWorld> StartInOneStoreAsync(
        IStorageTypeFixture type, StorageLocation from, StorageLocation to, byte[] bytes, Action<JsonObject> adjust)
    {
        var host = await StowageHost.StartAsync();
        var client = host.Client();
        await client.LoginAsync();
        var w = new CopyWorld(host, client) { SrcUrl = from.LocalPath, DstUrl = to.LocalPath, SrcLocation = from, DstLocation = to };
        async Task<string> AddAsync(StorageLocation location, string name)
        {
            var p = type.AddParams(location, name);
            adjust(p);
            var r = await client.CallAsync(HttpMethod.Post, type.ApiPath, new JsonObject { ["params"] = p });
            Assert.True(r.Status == System.Net.HttpStatusCode.OK, r.ToString());
            return r.Json!["inventory"]!["uuid"]!.GetValue<string>();
        }

        w.Src = await AddAsync(from, "src");
        w.Dst = await AddAsync(to, "dst");
        await using var http = await HttpSource.StartAsync();
        var image = await ImageKit.AddOkAsync(client, http.Add("item.raw", bytes), [w.Src]);
        w.Image = image["uuid"]!.GetValue<string>();
        w.SrcInstallPath = image["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>();
        return w;
    }

    /// <summary>The source's location when the world was made over types.</summary>
    public StorageLocation? SrcLocation { get; private set; }

    /// <summary>The source copy's install path when the world was made over types (an object store has no <see cref="SrcPath"/> on this machine).</summary>
    public string SrcInstallPath { get; private set; } = "";

    /// <summary>The destination's location when the world was made over types.</summary>
    public StorageLocation? DstLocation { get; private set; }

    public static JsonObject Body(string dst, string? src = null, string action = "copyImageToBackupStorage")
    {
        var args = new JsonObject { ["dstBackupStorageUuid"] = dst };
        if (src is not null)
        {
            args["srcBackupStorageUuid"] = src;
        }

        if (action == "syncImageFromImageStoreBackupStorage")
        {
            // The SDK makes name mandatory for ImageStore's sync; description is optional.
            args["name"] = "synced";
            args["description"] = "as the SDK sends it";
        }

        return new JsonObject { [action] = args };
    }

    /// <summary>Runs the copy to the end (polling the job).</summary>
    public Task<ApiResponse> CopyAsync(string? dst = null, string? src = null, string? action = null) =>
        Client.CallAsync(HttpMethod.Put, $"{ItemPath}/{Image}/actions", Body(dst ?? Dst, src, action ?? Action));

    /// <summary>Starts the copy as job <paramref name="job"/> and answers the 202.</summary>
    public Task<ApiResponse> StartCopyAsync(string job) =>
        Client.SendAsync(HttpMethod.Put, $"{ItemPath}/{Image}/actions", Body(Dst, action: Action), jobUuid: job);

    public async Task SetStatusAsync(string bs, string status)
    {
        await using var db = Host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        await db.BackupStorages.Where(b => b.Uuid == bs).ExecuteUpdateAsync(s => s.SetProperty(b => b.Status, status));
    }

    /// <summary>Makes the source's direct-fetch key, then stores another private key in its place.</summary>
    public async Task BreakReadKeyAsync()
    {
        var r = await Client.CallAsync(HttpMethod.Get, $"/backup-storage/sftp/{Src}/download-credential");
        Assert.Equal(System.Net.HttpStatusCode.OK, r.Status);
        var dir = Directory.CreateTempSubdirectory("stowage-otherkey-").FullName;
        Proc.Run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", Path.Combine(dir, "id"));
        var other = await File.ReadAllTextAsync(Path.Combine(dir, "id"));
        Directory.Delete(dir, recursive: true);
        var cipher = Host.Services.GetRequiredService<Stowage.Server.Storage.CredentialProtector>()
            .Protect(new Stowage.Core.Storage.StorageSecret(Stowage.Core.Storage.StorageSecretKind.PrivateKey, other));
        await using var db = Host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        await db.DownloadCredentials.Where(c => c.BackupStorageUuid == Src).ExecuteUpdateAsync(s => s.SetProperty(c => c.PrivateKeyCipher, cipher));
    }

    /// <summary>
    /// Nothing of a failed copy is left: no row or file on the destination, no reservation, no pull process,
    /// no key directory, and the destination's available capacity is what its filesystem reports free.
    /// </summary>
    public async Task NoTraceAsync(string user)
    {
        var query = await Client.QueryAsync(ItemPath, "q=uuid=" + Image);
        var image = ZStackClient.Inventories(query).Single()!;
        Assert.DoesNotContain(image["backupStorageRefs"]!.AsArray(), r => r!["backupStorageUuid"]!.GetValue<string>() == Dst);
        Assert.Equal("Ready", image["status"]!.GetValue<string>());
        Assert.Empty(ImageKit.Files(DstUrl));
        await ImageKit.WaitForAsync(() => PeerProcesses(user).Length == 0, TimeSpan.FromSeconds(10));
        Assert.Empty(KeyDirectories(user));
        await using var db = Host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        Assert.Equal(0, await db.ImageBackupStorageRefs.SumAsync(r => r.ReservedSize) + await db.VolumeArchiveRefs.SumAsync(r => r.ReservedSize));
        var available = (await db.BackupStorages.SingleAsync(b => b.Uuid == Dst)).AvailableCapacity;
        Assert.InRange(available, ImageKit.DfAvailable(DstUrl) - (64L << 20), ImageKit.DfAvailable(DstUrl) + (64L << 20));
    }

    /// <summary>The sftp pull and its ssh child carry the pinned host alias on their command lines.</summary>
    public static string PeerProcesses(string user)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("pgrep", ["-a", "-u", user, "-f", "stowage-peer"]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = System.Diagnostics.Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output.Trim();
    }

    /// <summary>Directories of the storage user holding a handed-over key (<c>ImageCommands.PeerKeyDir</c>).</summary>
    public static List<string> KeyDirectories(string user)
    {
        var uid = Proc.Run("id", "-u", user).Trim();
        return [.. Directory.EnumerateDirectories("/tmp", "stowage-peer.*").Where(d => Proc.Run("stat", "-c", "%u", d).Trim() == uid)];
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await Host.DisposeAsync();
    }
}
