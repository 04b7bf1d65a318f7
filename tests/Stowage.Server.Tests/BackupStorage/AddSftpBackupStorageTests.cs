using System.Diagnostics;
using System.Net;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.BackupStorage;

[Collection(StorageCollection.Name)]
public sealed class AddSftpBackupStorageTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Add_with_password_connects_pins_host_key_writes_marker_and_reads_df(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        var r = await BsKit.AddAsync(client, sshd, url);
        Assert.Equal(HttpStatusCode.OK, r.Status);
        var inv = r.Json!["inventory"]!.AsObject();
        Assert.Equal("org.zstack.storage.backup.sftp.SftpBackupStorageInventory", r.Json!["schema"]!["inventory"]!.GetValue<string>());

        // The manual page's example, field for field, plus username, sshPort and the pinned host key (the console shows it).
        var keys = inv.Select(p => p.Key).Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(
            ["attachedZoneUuids", "availableCapacity", "createDate", "hostKeyFingerprint", "hostname", "lastOpDate", "name", "sshPort", "state", "status", "totalCapacity", "type", "url", "username", "uuid"],
            keys);
        Assert.Equal(sshd.HostKeyFingerprint, inv["hostKeyFingerprint"]!.GetValue<string>());
        Assert.Equal("Connected", inv["status"]!.GetValue<string>());
        Assert.Equal("Enabled", inv["state"]!.GetValue<string>());
        Assert.Equal("SftpBackupStorage", inv["type"]!.GetValue<string>());
        Assert.Matches(@"^[A-Z][a-z]{2} \d{1,2}, \d{4} \d{1,2}:\d{2}:\d{2} (AM|PM)$", inv["createDate"]!.GetValue<string>());
        Assert.Empty(inv["attachedZoneUuids"]!.AsArray());

        var uuid = inv["uuid"]!.GetValue<string>();
        Assert.True(Directory.Exists(url));
        Assert.Contains(uuid, File.ReadAllText(Path.Combine(url, ".stowage-backup-storage")), StringComparison.Ordinal);

        var df = Proc.Run("df", "-B1", "--output=size,avail", url).Split('\n', StringSplitOptions.RemoveEmptyEntries)[1]
            .Split(' ', StringSplitOptions.RemoveEmptyEntries).Select(long.Parse).ToArray();
        Assert.Equal(df[0], inv["totalCapacity"]!.GetValue<long>());
        Assert.InRange(inv["availableCapacity"]!.GetValue<long>(), df[1] - (64L << 20), df[1] + (64L << 20));

        await using var ctx = host.Services.GetRequiredService<Persistence.StowageDbContextFactory>().CreateDbContext();
        var row = ctx.SftpBackupStorages.Single(s => s.Uuid == uuid);
        Assert.Equal(sshd.HostKeyFingerprint, row.HostKeyFingerprint);
        Assert.DoesNotContain(sshd.Password, row.CredentialCipher, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Add_with_private_key()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var r = await BsKit.AddAsync(client, sshd, sshd.NewPath(), useKey: true);
        Assert.Equal(HttpStatusCode.OK, r.Status);
        Assert.Equal("Connected", r.Json!["inventory"]!["status"]!.GetValue<string>());
    }

    /// <summary>Each case on one server (validation only: a server start per case cost more than the calls).</summary>
    [Fact]
    public async Task Invalid_arguments_are_SYS_1007_and_leave_nothing()
    {
        (string Field, string Value, string Message)[] cases =
        [
            ("url", "relative/dir", "absolute"),
            ("url", "/proc/stowage", "/dev, /proc or /sys"),
            ("url", "/tmp/a;touch /tmp/x", "not allowed"),
            ("url", "/tmp/../etc", "'..'"),
            ("hostname", "bad_host!", "neither"),
            ("hostname", "999.1.1.1", "neither"),
            ("username", "root;id", "valid user name"),
            ("hostKeyFingerprint", "MD5:aa", "SHA256"),
        ];
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        foreach (var (field, value, message) in cases)
        {
            var body = BsKit.AddBody(sshd, sshd.NewPath());
            body["params"]![field] = value;
            var r = await client.CallAsync(HttpMethod.Post, "/backup-storage/sftp", body);
            Assert.True(r.Status == HttpStatusCode.ServiceUnavailable, $"{field}={value}: {r}");
            Assert.Equal("SYS.1007", r.ErrorCode);
            Assert.Contains(message, r.Json!["error"]!["details"]!.GetValue<string>(), StringComparison.Ordinal);
            Assert.Equal(0, await BsKit.CountAsync(client));
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65536)]
    public async Task Port_out_of_range_is_refused(int port)
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var r = await BsKit.AddAsync(client, sshd, sshd.NewPath(), port: port);
        Assert.Equal("SYS.1007", r.ErrorCode);
    }

    [Fact]
    public async Task Missing_or_double_credentials_are_refused()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var none = BsKit.AddBody(sshd, sshd.NewPath());
        none["params"]!.AsObject().Remove("password");
        Assert.Equal("SYS.1007", (await client.CallAsync(HttpMethod.Post, "/backup-storage/sftp", none)).ErrorCode);
        var both = BsKit.AddBody(sshd, sshd.NewPath());
        both["params"]!["sshKey"] = sshd.PrivateKey;
        Assert.Equal("SYS.1007", (await client.CallAsync(HttpMethod.Post, "/backup-storage/sftp", both)).ErrorCode);
    }

    [Fact]
    public async Task Overlapping_urls_on_one_host_are_SYS_1006_but_separate_dirs_are_fine()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        await BsKit.AddOkAsync(client, sshd, url);
        Assert.Equal("SYS.1006", (await BsKit.AddAsync(client, sshd, url + "/", "same")).ErrorCode);
        Assert.Equal("SYS.1006", (await BsKit.AddAsync(client, sshd, url + "/nested", "nested")).ErrorCode);
        Assert.Equal("SYS.1006", (await BsKit.AddAsync(client, sshd, Path.GetDirectoryName(url)!, "parent")).ErrorCode);
        await BsKit.AddOkAsync(client, sshd, sshd.NewPath(), "other");
        Assert.Equal(2, await BsKit.CountAsync(client));
    }

    [Fact]
    public async Task Url_that_is_a_file_fails_with_SYS_1002_and_leaves_nothing()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var file = sshd.NewPath("file");
        await File.WriteAllTextAsync(file, "x");
        var r = await BsKit.AddAsync(client, sshd, file);
        Assert.Equal("SYS.1002", r.ErrorCode);
        Assert.NotNull(r.Json!["error"]!["cause"]);
        Assert.Equal(0, await BsKit.CountAsync(client));
        Assert.Equal("x", await File.ReadAllTextAsync(file));
    }

    [Fact]
    public async Task Wrong_password_then_retry_with_same_resourceUuid_succeeds()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        var uuid = Guid.NewGuid().ToString("N");
        var wrong = "Wr0ng-" + Guid.NewGuid().ToString("N");
        var r = await BsKit.AddAsync(client, sshd, url, password: wrong, resourceUuid: uuid);
        Assert.Equal("SYS.1002", r.ErrorCode);
        Assert.DoesNotContain(wrong, r.Body, StringComparison.Ordinal);
        Assert.Equal(0, await BsKit.CountAsync(client));
        Assert.False(File.Exists(Path.Combine(url, ".stowage-backup-storage")));

        var ok = await BsKit.AddAsync(client, sshd, url, resourceUuid: uuid);
        Assert.Equal(HttpStatusCode.OK, ok.Status);
        Assert.Equal(uuid, BsKit.Uuid(ok));
    }

    [Fact]
    public async Task Unreachable_host_fails_with_SYS_1002_and_leaves_nothing()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var sw = Stopwatch.StartNew();
        var r = await BsKit.AddAsync(client, sshd, sshd.NewPath(), port: SshdFixture.FreePort());
        Assert.Equal("SYS.1002", r.ErrorCode);
        Assert.True(sw.Elapsed < TimeSpan.FromSeconds(20), "a refused port must fail fast");
        Assert.Equal(0, await BsKit.CountAsync(client));
    }

    [Fact]
    public async Task A_directory_owned_by_a_live_backup_storage_cannot_be_adopted_by_another_host_entry()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        await BsKit.AddOkAsync(client, sshd, url);

        // Same directory reached through another name of the host: the overlap check cannot see it, the marker can.
        var body = BsKit.AddBody(sshd, url, "alias");
        body["params"]!["hostname"] = "localhost";
        var r = await client.CallAsync(HttpMethod.Post, "/backup-storage/sftp", body);
        Assert.Equal("SYS.1002", r.ErrorCode);
        Assert.Contains("already belongs", r.Body, StringComparison.Ordinal);
        Assert.Equal(1, await BsKit.CountAsync(client));
    }
}
