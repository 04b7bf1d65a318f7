using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Sftp.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.Hardening;

/// <summary>
/// Issue 15 items 5 and 6: a host file or sftp source is sized (apparent size: a sparse file counts in full)
/// and refused when it does not fit; an sftp source on a backup storage's host may not read that storage's
/// directory, as a file:/// source may not.
/// </summary>
[Collection(StorageCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class SourceSizeAndPlaceTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    public static TheoryData<Db, string> DbAndScheme()
    {
        var data = new TheoryData<Db, string>();
        foreach (var db in Databases.Both.Cast<object[]>().Select(row => (Db)row[0]))
        {
            data.Add(db, "file");
            data.Add(db, "sftp");
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(DbAndScheme))]
    public async Task A_sparse_file_larger_than_the_storage_is_refused_before_any_byte_is_written(Db db, string scheme)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        var bs = await BsKit.AddOkAsync(client, sshd, url);
        var sparse = Path.Combine(sshd.NewOwnedDir("src"), "sparse1T.raw");
        var size = Math.Max(1L << 40, ImageKit.DfAvailable(url) * 2);
        await using (var f = new FileStream(sparse, FileMode.CreateNew))
        {
            f.SetLength(size);
        }

        File.SetUnixFileMode(sparse, (UnixFileMode)0b110_100_100);
        var source = scheme == "file" ? "file://" + sparse : $"sftp://{sshd.User}:{Uri.EscapeDataString(sshd.Password)}@127.0.0.1:{sshd.Port}{sparse}";
        var r = await ImageKit.AddAsync(client, source, [bs]);
        Assert.True(r.ErrorCode == "SYS.1002", r.ToString());
        Assert.Contains("has not enough capacity", r.Body, StringComparison.Ordinal);
        Assert.Contains($"Required size:{size}", r.Body, StringComparison.Ordinal);
        Assert.Empty(await ImageKit.QueryAsync(client));
        Assert.DoesNotContain(Directory.EnumerateFiles(url, "*", SearchOption.AllDirectories), f => f.Contains("acct-", StringComparison.Ordinal));
        ImageKit.NoProcessFor(sshd.User, url);
        await SourceKit.NoReservationAsync(host, url, bs);
        File.Delete(sparse);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task An_sftp_source_inside_a_backup_storage_directory_is_refused_as_file_is(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        var bs = await BsKit.AddOkAsync(client, sshd, url);
        var image = await ImageKit.AddOkAsync(client, "file://" + await QcowOnHostAsync(), [bs], "first");
        var stored = image["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>();
        var link = Path.Combine(sshd.NewOwnedDir("src"), "innocent.qcow2");
        File.CreateSymbolicLink(link, stored);
        var prefix = $"sftp://{sshd.User}:{Uri.EscapeDataString(sshd.Password)}@127.0.0.1:{sshd.Port}";

        foreach (var path in new[] { url + "/.stowage-backup-storage", stored, link })
        {
            var r = await ImageKit.AddAsync(client, prefix + path, [bs], "copycat");
            Assert.True(r.ErrorCode == "SYS.1002", r.ToString());
            Assert.Contains("lies inside the backup storage directory", r.Body, StringComparison.Ordinal);

            // The same paths as file:/// are refused too (the first two at once, the link on the host).
            var f = await ImageKit.AddAsync(client, "file://" + path, [bs], "copycat");
            Assert.True(f.ErrorCode is "SYS.1007" or "SYS.1002", f.ToString());
            Assert.Contains("inside", f.Body, StringComparison.Ordinal);
        }

        Assert.Single(await ImageKit.QueryAsync(client));
        await using var ctx = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        Assert.False(await ctx.ImageBackupStorageRefs.AnyAsync(x => x.Status == "Downloading"));

        // An sftp source elsewhere on the same host is fine.
        var elsewhere = await ImageKit.AddOkAsync(client, prefix + await QcowOnHostAsync(), [bs], "elsewhere");
        Assert.Equal("Ready", elsewhere["status"]!.GetValue<string>());
    }

    private async Task<string> QcowOnHostAsync()
    {
        var path = Path.Combine(sshd.NewOwnedDir("src"), "disk.qcow2");
        await File.WriteAllBytesAsync(path, ImageKit.Qcow2());
        File.SetUnixFileMode(path, (UnixFileMode)0b110_100_100);
        return path;
    }
}
