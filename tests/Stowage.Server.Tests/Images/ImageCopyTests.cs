using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.Protocol;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Images;

/// <summary>A second sshd (its own port and host key) for the destination of copies between backup storages.</summary>
public sealed class SecondSshd : IAsyncLifetime
{
    public SshdFixture Sshd { get; } = new();

    public Task InitializeAsync() => Sshd.InitializeAsync();

    public Task DisposeAsync() => Sshd.DisposeAsync();
}

/// <summary>CopyImageToBackupStorage between backup storages on two sshd instances, host to host and streamed.</summary>
[Collection(StorageCollection.Name)]
public sealed class ImageCopyTests(StorageWorld world, SecondSshd second) : IClassFixture<SecondSshd>
{
    private readonly SshdFixture sshd = world.Sshd;

    private SshdFixture Dst => second.Sshd;

    /// <summary>
    /// The copy contract over every ordered pair of types (<see cref="CopyMatrix"/>: one server per source type, a backup
    /// storage of every type beside it): Auto picks what the pair can do (a host pull, or a stream through Stowage into or
    /// out of an object store), and the copy lands verified and Ready with nothing else at the destination.
    /// </summary>
    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task A_copy_from_one_type_to_every_type_lands_verified_and_Ready(string from)
    {
        await using var m = await CopyMatrix.StartAsync(world, from);
        var (image, srcPath) = await m.AddItemAsync("/images", 500_000);
        var sha = ImageKit.Sha256(await m.Source.ReadAsync(m.SrcLocation, srcPath));
        await m.ForEachAsync(async d =>
        {
            var r = await m.CopyAsync("/images", image, d.Uuid);
            var installPath = CopyMatrix.ReadyCopy(r, d.Uuid);
            Assert.StartsWith(d.Location.Url + "/rootVolumeTemplates/", installPath, StringComparison.Ordinal);
            Assert.Equal(sha, ImageKit.Sha256(await d.Storage.ReadAsync(d.Location, installPath)));
            Assert.Equal(r.Json!["inventory"]!["sha256Sum"]!.GetValue<string>(), sha);
            Assert.Equal([installPath], await d.Storage.FilesAsync(d.Location));
            d.Storage.AssertNoTransferLeft(d.Location);
        });
        await using var db = m.Host.Services.GetRequiredService<Stowage.Persistence.StowageDbContextFactory>().CreateDbContext();
        Assert.Equal(0, await db.ImageBackupStorageRefs.SumAsync(x => x.ReservedSize));
        Assert.Equal(m.Destinations.Count + 1, await db.ImageBackupStorageRefs.CountAsync(x => x.ImageUuid == image && x.Status == "Ready"));
    }

    /// <summary>Every ordered pair: a source copy whose bytes no longer match its digests is not copied, and nothing is left at the destination.</summary>
    [Theory]
    [MemberData(nameof(StorageWorld.AllTypes), MemberType = typeof(StorageWorld))]
    public async Task A_corrupted_source_is_not_copied_to_any_type(string from)
    {
        await using var m = await CopyMatrix.StartAsync(world, from);
        var (image, srcPath) = await m.AddItemAsync("/images", 500_000);
        await m.Source.CorruptAsync(m.SrcLocation, srcPath);
        await m.ForEachAsync(async d =>
        {
            var r = await m.CopyAsync("/images", image, d.Uuid);
            Wire.AssertError(r, HttpStatusCode.ServiceUnavailable, "SYS.1006");
            Assert.Contains("checksum mismatch", r.Body, StringComparison.Ordinal);
            Assert.Empty(await d.Storage.FilesAsync(d.Location));
            d.Storage.AssertNoTransferLeft(d.Location);
        });
        await using var db = m.Host.Services.GetRequiredService<Stowage.Persistence.StowageDbContextFactory>().CreateDbContext();
        Assert.Equal(0, await db.ImageBackupStorageRefs.SumAsync(x => x.ReservedSize));
        Assert.Equal([m.Src], await db.ImageBackupStorageRefs.Where(x => x.ImageUuid == image).Select(x => x.BackupStorageUuid).ToListAsync());
    }

    [Theory]
    [InlineData("HostToHost", "copyImageToBackupStorage", true)]
    [InlineData("Stream", "copyImageToBackupStorage", false)]
    [InlineData("Auto", "syncImageFromImageStoreBackupStorage", true)]
    public async Task A_copy_lands_verified_and_Ready_on_the_other_backup_storage(string mode, string action, bool namedSource)
    {
        await using var w = await CopyWorld.StartAsync(sshd, Dst, 3_000_000);
        await ImageKit.SetConfigAsync(w.Client, "image", "copy.mode", mode);
        var keyLogins = KeyLogins();
        var r = await w.CopyAsync(src: namedSource ? w.Src : null, action: action);
        Wire.AssertOk(r);

        // Stowage logs in with the password; a key login on the source host is the destination host pulling.
        Assert.Equal(mode != "Stream", KeyLogins() > keyLogins);
        var refs = r.Json!["inventory"]!["backupStorageRefs"]!.AsArray();
        Assert.Equal(2, refs.Count);
        var copy = refs.Single(x => x!["backupStorageUuid"]!.GetValue<string>() == w.Dst)!;
        Assert.Equal("Ready", copy["status"]!.GetValue<string>());
        var path = copy["installPath"]!.GetValue<string>();
        Assert.StartsWith(w.DstUrl + "/rootVolumeTemplates/", path, StringComparison.Ordinal);
        Assert.Equal(Path.GetFileName(w.SrcPath), Path.GetFileName(path));
        Assert.Equal(ImageKit.Sha256(File.ReadAllBytes(w.SrcPath)), ImageKit.Sha256(File.ReadAllBytes(path)));
        Assert.Equal(r.Json!["inventory"]!["sha256Sum"]?.GetValue<string>() ?? ImageKit.Sha256(File.ReadAllBytes(path)), ImageKit.Sha256(File.ReadAllBytes(path)));
        Assert.Equal(ImageKit.Mode(w.SrcPath), ImageKit.Mode(path));
        Assert.Equal([path], ImageKit.Files(w.DstUrl));
        Assert.Empty(CopyWorld.PeerProcesses(sshd.User));
        Assert.Empty(CopyWorld.KeyDirectories(sshd.User));

        // The reservation is gone and the destination's capacity is re-measured with the new file on it.
        var dst = await BsKit.GetAsync(w.Client, w.Dst);
        Assert.InRange(dst["availableCapacity"]!.GetValue<long>(), ImageKit.DfAvailable(w.DstUrl) - (64L << 20), ImageKit.DfAvailable(w.DstUrl) + (64L << 20));

        // A second copy to the same place is refused and the first stays as it was.
        var again = await w.CopyAsync();
        Wire.AssertError(again, HttpStatusCode.ServiceUnavailable, "SYS.1006");
        Assert.Contains("already on the backup storage", again.Body, StringComparison.Ordinal);
        Assert.True(File.Exists(path));
    }

    /// <summary>Volume snapshots (CopyVolumeSnapshotToBackupStorage) share the copy and its cleanup.</summary>
    [Theory]
    [InlineData("HostToHost", "/images")]
    [InlineData("Stream", "/images")]
    [InlineData("HostToHost", "/volume-snapshots")]
    [InlineData("Stream", "/volume-snapshots")]
    public async Task A_source_file_that_no_longer_matches_its_checksum_fails_the_copy_without_a_trace(string mode, string itemPath)
    {
        await using var w = await CopyWorld.StartAsync(sshd, Dst, 2_000_000, itemPath: itemPath);
        await ImageKit.SetConfigAsync(w.Client, "image", "copy.mode", mode);

        // Same size, other bytes: only the digest check at the destination can tell.
        Proc.Run("chmod", "u+w", w.SrcPath);
        await File.WriteAllBytesAsync(w.SrcPath, ImageKit.RandomBytes(2_000_000));
        var r = await w.CopyAsync();
        Wire.AssertError(r, HttpStatusCode.ServiceUnavailable, "SYS.1006");
        Assert.Contains("checksum mismatch", r.Body, StringComparison.Ordinal);
        Assert.Contains($"from backup storage[uuid: {w.Src}]", r.Body, StringComparison.Ordinal);
        await w.NoTraceAsync(sshd.User);
    }

    [Theory]
    [InlineData("HostToHost", "kill-source")]
    [InlineData("HostToHost", "cancel")]
    [InlineData("Stream", "kill-source")]
    [InlineData("Stream", "cancel")]
    public async Task A_copy_stopped_mid_transfer_leaves_no_orphans(string mode, string how)
    {
        await using var w = await CopyWorld.StartAsync(sshd, Dst, 1L << 30, sparse: true);
        await ImageKit.SetConfigAsync(w.Client, "image", "copy.mode", mode);
        var job = Guid.NewGuid().ToString("N");
        var accepted = await w.StartCopyAsync(job);
        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
        try
        {
            await ImageKit.WaitForAsync(() => Directory.Exists(w.DstUrl) && Directory.EnumerateFiles(w.DstUrl, "*.stowage-part", SearchOption.AllDirectories)
                .Any(f => new FileInfo(f).Length > 0), TimeSpan.FromSeconds(60));
        }
        catch (Xunit.Sdk.TrueException)
        {
            // Say what the copy did instead of only that no partial file showed up.
            var ended = await w.Client.PollAsync(accepted, TimeSpan.FromSeconds(5));
            Assert.Fail($"no partial file with bytes on the destination after 60 s; the copy job answered: {ended}");
        }

        // Task progress follows the copy as it does an AddImage download.
        await ImageProgressTests.WaitForBytesAsync(w.Client, job);
        try
        {
            if (how == "cancel")
            {
                Wire.AssertOk(await ImageProgressTests.Cancel(w.Client, job));
            }
            else
            {
                sshd.Stop();
            }

            var failed = await w.Client.PollAsync(accepted, TimeSpan.FromSeconds(60));
            Wire.AssertError(failed, HttpStatusCode.ServiceUnavailable, "SYS.1006");
            Assert.Contains(how == "cancel" ? "cancelled by the user" : "failed to copy image", failed.Body, StringComparison.Ordinal);
        }
        finally
        {
            if (sshd.ListenerPid == 0)
            {
                await sshd.StartAsync();
            }
        }

        ImageKit.NoProcessFor(Dst.User, w.DstUrl);
        await w.NoTraceAsync(sshd.User);
    }

    [Theory]
    [InlineData("Auto")]
    [InlineData("HostToHost")]
    public async Task When_the_destination_host_cannot_log_in_to_the_source_host_Auto_streams_and_HostToHost_fails(string mode)
    {
        await using var w = await CopyWorld.StartAsync(sshd, Dst, 2_000_000);
        await ImageKit.SetConfigAsync(w.Client, "image", "copy.mode", mode);

        // The stored private key no longer matches the public key on the source host: its login is refused
        // before a byte moves, as when the destination host cannot reach the source host at all.
        await w.BreakReadKeyAsync();
        var keyLogins = KeyLogins();
        var r = await w.CopyAsync();
        Assert.Equal(keyLogins, KeyLogins());
        if (mode == "Auto")
        {
            Wire.AssertOk(r);
            var path = r.Json!["inventory"]!["backupStorageRefs"]!.AsArray().Single(x => x!["backupStorageUuid"]!.GetValue<string>() == w.Dst)!["installPath"]!.GetValue<string>();
            Assert.Equal(ImageKit.Sha256(File.ReadAllBytes(w.SrcPath)), ImageKit.Sha256(File.ReadAllBytes(path)));
            Assert.Empty(CopyWorld.KeyDirectories(sshd.User));
        }
        else
        {
            Wire.AssertError(r, HttpStatusCode.ServiceUnavailable, "SYS.1006");
            Assert.Contains("cannot fetch from the other backup storage's host", r.Body, StringComparison.Ordinal);
            Assert.DoesNotContain("PRIVATE KEY", r.Body, StringComparison.Ordinal);
            await w.NoTraceAsync(sshd.User);
        }
    }

    private int KeyLogins() => sshd.Log.Split('\n').Count(l => l.Contains("Accepted publickey", StringComparison.Ordinal));

    [Fact]
    public async Task Refusals_name_the_reason_and_leave_nothing_behind()
    {
        await using var w = await CopyWorld.StartAsync(sshd, Dst, 100_000);

        // The destination already holds the image (it is the source here).
        var r = await w.CopyAsync(dst: w.Src);
        Wire.AssertError(r, HttpStatusCode.ServiceUnavailable, "SYS.1006");
        Assert.Contains($"already on the backup storage[uuid:{w.Src}] with status Ready", r.Body, StringComparison.Ordinal);

        // A source that does not hold the image.
        var third = await BsKit.AddOkAsync(w.Client, sshd, sshd.NewPath("third"), "third");
        r = await w.CopyAsync(src: third);
        Wire.AssertError(r, HttpStatusCode.ServiceUnavailable, "SYS.1007");
        Assert.Contains("is not on the backup storage", r.Body, StringComparison.Ordinal);

        // An unknown destination is refused by the parameter check.
        r = await w.CopyAsync(dst: Guid.NewGuid().ToString("N"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, r.Status);

        Wire.AssertOk(await BsKit.ActionAsync(w.Client, $"/backup-storage/{w.Dst}/actions", "changeBackupStorageState", new JsonObject { ["stateEvent"] = "disable" }));
        r = await w.CopyAsync();
        Wire.AssertError(r, HttpStatusCode.ServiceUnavailable, "SYS.1006");
        Assert.Contains("because its state is Disabled", r.Body, StringComparison.Ordinal);
        Wire.AssertOk(await BsKit.ActionAsync(w.Client, $"/backup-storage/{w.Dst}/actions", "changeBackupStorageState", new JsonObject { ["stateEvent"] = "enable" }));

        await w.SetStatusAsync(w.Dst, "Disconnected");
        r = await w.CopyAsync();
        Wire.AssertError(r, HttpStatusCode.ServiceUnavailable, "SYS.1006");
        Assert.Contains("because its status is Disconnected", r.Body, StringComparison.Ordinal);
        await w.SetStatusAsync(w.Dst, "Connected");

        // A source copy on a backup storage that is not Connected cannot be read.
        await w.SetStatusAsync(w.Src, "Disconnected");

        r = await w.CopyAsync();
        Wire.AssertError(r, HttpStatusCode.ServiceUnavailable, "SYS.1006");
        Assert.Contains("no Ready copy on a Connected backup storage", r.Body, StringComparison.Ordinal);
        Assert.Empty(ImageKit.Files(w.DstUrl));
    }
}
