using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
using Stowage.Persistence;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Images;

/// <summary>AddImage from file:/// (a file on the storage host) and sftp:// (read by Stowage over SFTP).</summary>
[Collection(StorageCollection.Name)]
public sealed class ImageSourceTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Fact]
    public async Task File_source_is_copied_by_the_host_and_lands_read_only()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        var bs = await BsKit.AddOkAsync(client, sshd, url);
        var content = ImageKit.Qcow2();
        var source = Path.Combine(sshd.NewOwnedDir("src"), "local-disk.qcow2");
        await File.WriteAllBytesAsync(source, content);

        var image = await ImageKit.AddOkAsync(client, "file://" + source, [bs], "local");
        Assert.Equal("Ready", image["status"]!.GetValue<string>());
        Assert.Equal("file://" + source, image["url"]!.GetValue<string>());
        Assert.Equal("qcow2", image["format"]!.GetValue<string>());
        Assert.Equal(ImageKit.Sha256(content), image["sha256Sum"]!.GetValue<string>());
        Assert.Equal(ImageKit.Md5(content), image["md5Sum"]!.GetValue<string>());
        var path = image["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>();
        Assert.EndsWith("/local-disk.template", path, StringComparison.Ordinal);
        Assert.Equal(content, await File.ReadAllBytesAsync(path));
        Assert.Equal("444", ImageKit.Mode(path));
        Assert.Equal([path], ImageKit.Files(url));
        Assert.Equal(content, await File.ReadAllBytesAsync(source));
        await SourceKit.NoReservationAsync(host, url, bs);

        // A bare absolute path means file:// too (ZStack rewrites it the same way).
        var bare = await ImageKit.AddOkAsync(client, source, [bs], "bare");
        Assert.Equal(ImageKit.Sha256(content), bare["sha256Sum"]!.GetValue<string>());
    }

    [Theory]
    [InlineData("missing", "does not exist or is not a regular file")]
    [InlineData("directory", "does not exist or is not a regular file")]
    [InlineData("symlink-into-storage", "lies inside the backup storage directory")]
    public async Task File_source_that_cannot_be_copied_fails_and_leaves_nothing(string kind, string expected)
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        var bs = await BsKit.AddOkAsync(client, sshd, url);
        var dir = sshd.NewOwnedDir("src");
        var source = kind switch
        {
            "missing" => Path.Combine(dir, "nope.qcow2"),
            "directory" => dir,
            _ => Path.Combine(dir, "link.raw"),
        };
        if (kind == "symlink-into-storage")
        {
            File.CreateSymbolicLink(source, Path.Combine(url, ".stowage-backup-storage"));
        }

        var r = await ImageKit.AddAsync(client, "file://" + source, [bs]);
        Assert.Equal("SYS.1002", r.ErrorCode);
        Assert.Contains(expected, r.Body, StringComparison.Ordinal);
        Assert.Contains($"failed to download image[url: file://{source}]", r.Body, StringComparison.Ordinal);
        Assert.Empty(await ImageKit.QueryAsync(client));
        Assert.Empty(ImageKit.Files(url));
        Assert.DoesNotContain(Directory.EnumerateDirectories(url, "*", SearchOption.AllDirectories), d => Path.GetFileName(d).Length == 32);
        ImageKit.NoTransferProcess(sshd);
        await SourceKit.NoReservationAsync(host, url, bs);
    }

    /// <summary>Each url on one server and backup storage (validation only: a server start per url cost more than the calls).</summary>
    [Fact]
    public async Task Malformed_file_sftp_and_upload_urls_are_refused()
    {
        string[] badUrls =
        [
            "file://relative/disk.qcow2", "file:///data/../etc/passwd", "file:///data/./disk.qcow2", "file:///data/", "file://host/data/disk.qcow2",
            "sftp://127.0.0.1/data/disk.qcow2", "sftp://user@127.0.0.1/data/disk.qcow2", "sftp://user:pw@127.0.0.1/",
            "upload://a/b.qcow2", "upload://bad name", "nfs://127.0.0.1/data/disk.qcow2",
        ];
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        var bs = await BsKit.AddOkAsync(client, sshd, url);
        foreach (var badUrl in badUrls)
        {
            var r = await ImageKit.AddAsync(client, badUrl, [bs]);
            Assert.True(r.ErrorCode == "SYS.1007", $"{badUrl}: {r}");
            Assert.DoesNotContain(":pw@", r.Body, StringComparison.Ordinal);

            // A plain path inside the backup storage's own directory is refused before anything runs.
            var inside = await ImageKit.AddAsync(client, "file://" + url + "/.stowage-backup-storage", [bs]);
            Assert.Equal("SYS.1007", inside.ErrorCode);
            Assert.Empty(await ImageKit.QueryAsync(client));
            Assert.Empty(ImageKit.Files(url));
        }
    }

    [Fact]
    public async Task Sftp_source_is_streamed_by_stowage_and_its_host_key_can_be_pinned()
    {
        var logs = new LogCapture();
        await using var host = await StowageHost.StartAsync(configure: logs.Install);
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        var bs = await BsKit.AddOkAsync(client, sshd, url);
        var content = ImageKit.RandomBytes(3_500_000);
        var source = Path.Combine(sshd.NewOwnedDir("src"), "remote.raw");
        await File.WriteAllBytesAsync(source, content);
        var sftpUrl = $"sftp://{sshd.User}:{Uri.EscapeDataString(sshd.Password)}@127.0.0.1:{sshd.Port}{source}";

        var image = await ImageKit.AddOkAsync(client, sftpUrl, [bs], "remote");
        Assert.Equal("Ready", image["status"]!.GetValue<string>());
        Assert.Equal($"sftp://{sshd.User}@127.0.0.1:{sshd.Port}{source}", image["url"]!.GetValue<string>());
        Assert.Equal(ImageKit.Sha256(content), image["sha256Sum"]!.GetValue<string>());
        Assert.Equal(content.Length, image["actualSize"]!.GetValue<long>());
        var path = image["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>();
        Assert.Equal(content, await File.ReadAllBytesAsync(path));
        Assert.Equal([path], ImageKit.Files(url));
        Assert.Contains("accepted the unpinned host key " + sshd.HostKeyFingerprint, logs.Text, StringComparison.Ordinal);
        await SourceKit.NoReservationAsync(host, url, bs);

        var pinned = await ImageKit.AddAsync(client, sftpUrl, [bs], "pinned", systemTags: ["sourceHostKey::" + sshd.HostKeyFingerprint]);
        Assert.True(pinned.Status == System.Net.HttpStatusCode.OK, pinned.ToString());
        var wrongKey = await ImageKit.AddAsync(client, sftpUrl, [bs], "wrong-key", systemTags: ["sourceHostKey::SHA256:" + new string('A', 43)]);
        Assert.Equal("SYS.1002", wrongKey.ErrorCode);
        Assert.Contains("not the pinned", wrongKey.Body, StringComparison.Ordinal);

        foreach (var text in new[] { (await client.QueryAsync("/images")).Body, logs.Text, pinned.Body, wrongKey.Body })
        {
            Assert.DoesNotContain(sshd.Password, text, StringComparison.Ordinal);
        }

        Assert.Equal(2, ImageKit.Files(url).Count);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Sftp_source_with_a_wrong_password_fails_without_showing_it(Db db)
    {
        const string secret = "Wr0ng-S3cret-xyzzy";
        var logs = new LogCapture();
        await using var host = await StowageHost.StartAsync(db, configure: logs.Install);
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        var bs = await BsKit.AddOkAsync(client, sshd, url);
        var source = Path.Combine(sshd.NewOwnedDir("src"), "remote.raw");
        await File.WriteAllBytesAsync(source, ImageKit.RandomBytes(100_000));

        var r = await ImageKit.AddAsync(client, $"sftp://{sshd.User}:{secret}@127.0.0.1:{sshd.Port}{source}", [bs]);
        Assert.Equal("SYS.1002", r.ErrorCode);
        Assert.Contains("password not accepted", r.Body, StringComparison.Ordinal);
        Assert.Contains($"sftp://{sshd.User}@127.0.0.1:{sshd.Port}{source}", r.Body, StringComparison.Ordinal);
        Assert.Empty(await ImageKit.QueryAsync(client));
        Assert.Empty(ImageKit.Files(url));
        await SourceKit.NoReservationAsync(host, url, bs);

        await using var dbc = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        var jobs = await dbc.ApiJobs.AsNoTracking().ToListAsync();
        Assert.Contains(jobs, j => j.ApiName == "AddImage" && j.ErrorJson is not null);
        foreach (var text in jobs.Select(j => j.ErrorJson + j.ResultJson).Append(r.Body).Append(logs.Text))
        {
            Assert.DoesNotContain(secret, text, StringComparison.Ordinal);
        }

        Assert.DoesNotContain(secret, ImageKit.Processes(sshd.User), StringComparison.Ordinal);
    }
}

/// <summary>Keeps every log line the server writes, to prove secrets never reach the log.</summary>
public sealed class LogCapture : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public string Text => string.Join('\n', _lines);

    public void Install(IServiceCollection services) => services.AddSingleton<ILoggerProvider>(this);

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(LogCapture owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue($"{category} {logLevel}: {formatter(state, exception)} {exception}");
    }
}

public static class SourceKit
{
    /// <summary>No copy holds a reservation and available capacity is what the filesystem reports free.</summary>
    public static async Task NoReservationAsync(StowageHost host, string url, string bs)
    {
        await using var db = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        Assert.Equal(0, await db.ImageBackupStorageRefs.SumAsync(r => r.ReservedSize));
        Assert.Equal(0, await db.VolumeArchiveRefs.SumAsync(r => r.ReservedSize));
        var available = (await db.BackupStorages.SingleAsync(b => b.Uuid == bs)).AvailableCapacity;
        if (url.Length == 0)
        {
            // An object store (no local directory): its capacity is its own count, at most the configured total.
            Assert.InRange(available, 1, 10L << 30);
            return;
        }

        // Other tests write to the same filesystem meanwhile: the range allows for them.
        Assert.InRange(available, ImageKit.DfAvailable(url) - (256L << 20), ImageKit.DfAvailable(url) + (256L << 20));
    }
}
