using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Time.Testing;
using Stowage.Core.Storage;
using Stowage.ObjectStore.S3;
using Stowage.ObjectStore.Swift;
using Stowage.ObjectStore.Tests.Infrastructure;

namespace Stowage.ObjectStore.Tests;

/// <summary>Quotas, tokens, signed URLs, server-side copies and a proxy killed mid-upload, on the real Swift.</summary>
[Collection(SwiftCollection.Name)]
public sealed class ObjectStoreFaultTests(SwiftFixture swift) : ObjectStoreTestBase(swift)
{
    private readonly HttpClient _http = new();

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _http.Dispose();
        }
    }

    [Fact]
    public async Task The_account_quota_is_the_capacity_and_a_write_past_it_fails_cleanly_with_no_space()
    {
        // The quota account is made by its first request; only a reseller admin may set its quota.
        var target = Swift.Swift(user: "quota:user", key: "quota", totalCapacity: null, segmentSize: 1024 * 1024);
        using (var driver = new SwiftBackupStorageDriver())
        {
            await driver.ConnectAsync(target with { Settings = new Dictionary<string, string>(target.Settings) { [ObjectStoreSettings.TotalCapacity] = "1000" } }, default);
        }

        await SetQuotaAsync("AUTH_quota", 2 * 1024 * 1024);
        var connected = await SwiftDriver.ConnectAsync(target, default);
        await SwiftDriver.WriteMarkerAsync(target, default);
        Assert.Equal(2 * 1024 * 1024, connected.Capacity.Total);

        // Swift checks a quota against the usage its container updater has pushed to the account (about a
        // second behind): store 1.5 MiB, wait until the account shows it, then the next 1 MiB segment is too much.
        var first = TestData.Random(1536 * 1024, 6);
        await SwiftDriver.WriteFromStreamAsync(target, new MemoryStream(first), InstallPath(target, "first.template"), new ImageExpectations(), null, default);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        var expected = (2 * 1024 * 1024) - first.Length - target.Uuid.Length; // the marker holds the uuid
        while ((await SwiftDriver.GetCapacityAsync(target, default)).Available > expected && DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }

        // The account also counts the SLO manifest (a few hundred bytes of JSON) once the updater pushed it.
        Assert.InRange((await SwiftDriver.GetCapacityAsync(target, default)).Available, expected - 4096, expected);
        var path = InstallPath(target, "big.template");
        var e = await Assert.ThrowsAsync<StorageException>(() => SwiftDriver.WriteFromStreamAsync(target, new MemoryStream(TestData.Random(3 * 1024 * 1024, 7)), path, new ImageExpectations(), null, default));

        Assert.Equal(StorageFailure.NoSpace, e.Failure);
        Assert.DoesNotContain(await SwiftDriver.ListImageFilesAsync(target, default), f => f.RelativePath == Relative(target, path));
        await SetQuotaAsync("AUTH_quota", null);
    }

    [Fact]
    public async Task A_token_is_renewed_before_it_expires_and_again_when_the_store_forgets_it()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        using var driver = new SwiftBackupStorageDriver(time: time);
        var target = Swift.Swift();
        await driver.ConnectAsync(target, default);
        await driver.WriteMarkerAsync(target, default);
        var auth = driver.AuthOf(target)!;
        var fetches = auth.Fetches;

        // tempauth tokens live a day: just before the renewal margin nothing changes, past it a new token is fetched.
        time.Advance(TimeSpan.FromHours(23));
        await driver.PingAsync(target, default);
        Assert.Equal(fetches, auth.Fetches);
        time.Advance(TimeSpan.FromMinutes(58));
        await driver.PingAsync(target, default);
        Assert.Equal(fetches + 1, auth.Fetches);

        // The store drops every token (its token cache restarted): the 401 renews the token and the request goes through.
        await Swift.FlushTokensAsync();
        await driver.PingAsync(target, default);
        Assert.Equal(fetches + 2, auth.Fetches);
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task A_signed_url_reads_with_range_and_swift_revokes_it_by_key_rotation(string api)
    {
        var (driver, target) = await ConnectedAsync(api);
        var data = TestData.Random(Segment + 5000, 8);
        var path = InstallPath(target, "export.template");
        await driver.WriteFromStreamAsync(target, new MemoryStream(data), path, new ImageExpectations(), null, default);

        var url = await driver.CreateReadUrlAsync(target, path, TimeSpan.FromMinutes(5), default);
        using (var request = new HttpRequestMessage(HttpMethod.Get, url))
        {
            request.Headers.Range = new RangeHeaderValue(Segment - 100, Segment + 99);
            using var response = await _http.SendAsync(request);
            Assert.Equal(HttpStatusCode.PartialContent, response.StatusCode);
            Assert.Equal(data[(Segment - 100)..(Segment + 100)], await response.Content.ReadAsByteArrayAsync());
        }

        Assert.Equal(data, await _http.GetByteArrayAsync(url));
        if (api == "swift")
        {
            // Rotation keeps the URLs already handed out; revocation ends them.
            await driver.RotateSigningKeyAsync(target, revokeAll: false, default);
            Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead)).StatusCode);
            await driver.RotateSigningKeyAsync(target, revokeAll: true, default);
            Assert.Equal(HttpStatusCode.Unauthorized, (await _http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead)).StatusCode);
            var fresh = await driver.CreateReadUrlAsync(target, path, TimeSpan.FromMinutes(5), default);
            Assert.Equal(data, await _http.GetByteArrayAsync(fresh));
        }
        else
        {
            await Assert.ThrowsAsync<StorageException>(() => driver.RotateSigningKeyAsync(target, revokeAll: true, default));
        }
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task A_server_side_copy_is_independent_of_its_source(string api)
    {
        var (driver, target) = await ConnectedAsync(api);
        var data = TestData.Random((2 * Segment) + 77, 9);
        var source = InstallPath(target, "src.template");
        var facts = await driver.WriteFromStreamAsync(target, new MemoryStream(data), source, new ImageExpectations(), null, default);
        var other = target with { Uuid = SwiftFixture.Uuid(), Url = target.Url + "/second" };
        Assert.True(driver.SameStore(target, other));
        var copyPath = InstallPath(other, "copy.template");

        var copied = await driver.CopyWithinStoreAsync(other, new StoredCopy(target, source, new ImageExpectations(facts.ActualSize, facts.Md5, facts.Sha256)), copyPath, null, default);

        Assert.Equal((facts.ActualSize, facts.Md5, facts.Sha256), (copied.ActualSize, copied.Md5, copied.Sha256));
        await driver.DeleteImageAsync(target, source, default);
        await using var read = await driver.OpenReadAsync(other, copyPath, 0, default);
        Assert.Equal(data, await TestData.ReadAllAsync(read));
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task The_proxy_killed_mid_upload_fails_the_write_cleanly_and_the_sweep_removes_what_it_left(string api)
    {
        var (driver, target) = await ConnectedAsync(api);
        var path = InstallPath(target, "killed.template");
        var source = new TriggerStream(TestData.Random(3 * Segment, 10), (2 * Segment) + 10, Swift.KillProxyAsync);
        StorageException e;
        try
        {
            e = await Assert.ThrowsAsync<StorageException>(() => driver.WriteFromStreamAsync(target, source, path, new ImageExpectations(), null, default));
        }
        finally
        {
            await Swift.StartProxyAsync();
        }

        Assert.True(e.Failure is StorageFailure.Unreachable or StorageFailure.Timeout, e.ToString());
        var files = await driver.ListImageFilesAsync(target, default);
        // Segments upload several at once, so how many were stored before the kill varies: none on Swift leaves
        // nothing at all; on S3 the incomplete multipart upload itself is left. Whatever is left is one listed
        // leftover (never a visible image) and the sweep removes it.
        Assert.True(files.Count <= 1, string.Join(", ", files.Select(f => f.RelativePath)));
        foreach (var part in files)
        {
            Assert.Equal(Relative(target, path) + IStorageHousekeeping.TempSuffix, part.RelativePath);
            await driver.DeletePathAsync(target, part.RelativePath, default);
        }

        Assert.Empty(await driver.ListImageFilesAsync(target, default));
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task The_proxy_killed_mid_download_breaks_the_read_with_an_io_error_carrying_the_storage_failure(string api)
    {
        var (driver, target) = await ConnectedAsync(api);
        var path = InstallPath(target, "read.template");
        await driver.WriteFromStreamAsync(target, new MemoryStream(TestData.Random(4 * Segment, 11)), path, new ImageExpectations(), null, default);
        await using var read = await driver.OpenReadAsync(target, path, 0, default);
        var buffer = new byte[1024 * 1024];
        await read.ReadExactlyAsync(buffer);

        IOException e;
        try
        {
            await Swift.KillProxyAsync();
            e = await Assert.ThrowsAnyAsync<IOException>(async () =>
            {
                while (await read.ReadAsync(buffer) > 0)
                {
                }
            });
        }
        finally
        {
            await Swift.StartProxyAsync();
        }

        Assert.Equal(StorageFailure.Unreachable, Assert.IsType<StorageException>(e.InnerException).Failure);
    }

    private async Task SetQuotaAsync(string account, long? bytes)
    {
        using var auth = new HttpRequestMessage(HttpMethod.Get, Swift.AuthUrl);
        auth.Headers.Add("X-Auth-User", "admin:admin");
        auth.Headers.Add("X-Auth-Key", "admin");
        using var token = await _http.SendAsync(auth);
        token.EnsureSuccessStatusCode();
        using var post = new HttpRequestMessage(HttpMethod.Post, $"{Swift.Endpoint}/v1/{account}");
        post.Headers.Add("X-Auth-Token", token.Headers.GetValues("X-Auth-Token").First());
        post.Headers.Add(bytes is null ? "X-Remove-Account-Meta-Quota-Bytes" : "X-Account-Meta-Quota-Bytes", bytes?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "x");
        using var response = await _http.SendAsync(post);
        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }
}
