using Stowage.Core.Storage;
using Stowage.ObjectStore.Tests.Infrastructure;

namespace Stowage.ObjectStore.Tests;

/// <summary>
/// Copies inside one store (<see cref="IServerSideCopy"/>) on the real Swift, through both APIs: the store copies the
/// bytes and proves them by its own md5s (a counting proxy in front of the store shows they never reach Stowage), a
/// source segment changed behind Stowage's back fails the copy as the source's fault, and a cancelled copy leaves
/// no object, segment or multipart upload behind.
/// </summary>
[Collection(SwiftCollection.Name)]
public sealed class ObjectStoreServerSideCopyTests(SwiftFixture swift) : ObjectStoreTestBase(swift)
{
    [Theory]
    [MemberData(nameof(Apis))]
    public async Task A_copy_within_one_store_is_made_and_proven_by_the_store_without_the_bytes_passing_through_Stowage(string api)
    {
        await using var proxy = CountingProxy.Start(Swift.ProxyPort);
        var (driver, target) = await ThroughAsync(api, proxy);
        var other = target with { Uuid = SwiftFixture.Uuid(), Url = target.Url + "/second" };
        foreach (var size in new[] { (3 * Segment) + 77, 1000 })
        {
            var data = TestData.Random(size, 21);
            var source = InstallPath(target, "src.template");
            var facts = await driver.WriteFromStreamAsync(target, new MemoryStream(data), source, new ImageExpectations(), null, default);
            var copyPath = InstallPath(other, "copy.template");
            var reported = new List<long>();
            proxy.Reset();

            var copied = await driver.CopyWithinStoreAsync(other, Stored(target, source, facts), copyPath, new Sync(p => reported.Add(p.BytesDone)), default);

            Assert.True(proxy.Downstream < 256 * 1024, $"{proxy.Downstream} bytes of a {size}-byte image reached Stowage");
            Assert.Equal((facts.ActualSize, facts.Md5, facts.Sha256), (copied.ActualSize, copied.Md5, copied.Sha256));
            Assert.Equal(size, reported[^1]);
            await using (var read = await driver.OpenReadAsync(other, copyPath, 0, default))
            {
                Assert.Equal(data, await TestData.ReadAllAsync(read));
            }

            Assert.Equal([Relative(other, copyPath)], (await driver.ListImageFilesAsync(other, default)).Select(f => f.RelativePath));
            await driver.DeleteImageAsync(other, copyPath, default);
        }
    }

    /// <summary>
    /// S3 cannot list a completed object's parts: a copy cut at other places than the source (its segment size changed
    /// since) cannot be matched with the source's ETag, so Stowage reads the source once and compares each copied part.
    /// </summary>
    [Fact]
    public async Task An_S3_copy_cut_unlike_its_source_is_proven_by_one_read_of_the_source()
    {
        await using var proxy = CountingProxy.Start(Swift.ProxyPort);
        var (driver, target) = await ThroughAsync("s3", proxy);
        var data = TestData.Random((2 * Segment) + 1000, 24);
        var source = InstallPath(target, "src.template");
        var facts = await driver.WriteFromStreamAsync(target, new MemoryStream(data), source, new ImageExpectations(), null, default);
        var resized = target with { Settings = new Dictionary<string, string>(target.Settings, StringComparer.Ordinal) { [ObjectStoreSettings.SegmentSize] = (Segment + 4096).ToString(System.Globalization.CultureInfo.InvariantCulture) } };
        var other = target with { Uuid = SwiftFixture.Uuid(), Url = target.Url + "/second" };
        var copyPath = InstallPath(other, "copy.template");
        proxy.Reset();

        var copied = await driver.CopyWithinStoreAsync(other, Stored(resized, source, facts), copyPath, null, default);

        Assert.InRange(proxy.Downstream, data.Length, data.Length + (256 * 1024));
        Assert.Equal((facts.ActualSize, facts.Md5, facts.Sha256), (copied.ActualSize, copied.Md5, copied.Sha256));
        await using var read = await driver.OpenReadAsync(other, copyPath, 0, default);
        Assert.Equal(data, await TestData.ReadAllAsync(read));
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task A_changed_source_segment_fails_the_copy_as_the_sources_fault_and_leaves_nothing(string api)
    {
        var (driver, target) = await ConnectedAsync(api);
        using var objects = new SwiftObjects(Swift);
        var other = target with { Uuid = SwiftFixture.Uuid(), Url = target.Url + "/second" };
        foreach (var size in new[] { (2 * Segment) + 1000, 1000 })
        {
            var data = TestData.Random(size, 22);
            var source = InstallPath(target, "src.template");
            var facts = await driver.WriteFromStreamAsync(target, new MemoryStream(data), source, new ImageExpectations(), null, default);

            // The middle segment of a segmented object, else the plain object itself (its metadata kept).
            var key = Relative(target, source);
            var changed = size > Segment ? (await objects.SegmentsOfAsync(target.Url, key))[1].Split('/', 2) : [target.Url, key];
            var bytes = await objects.GetAsync(changed[0], changed[1]);
            bytes[bytes.Length / 2] ^= 0xff;
            await objects.PutAsync(changed[0], changed[1], bytes);

            var e = await Assert.ThrowsAsync<StorageException>(() =>
                driver.CopyWithinStoreAsync(other, Stored(target, source, facts), InstallPath(other, "copy.template"), null, default));

            Assert.Equal(StorageFailure.SourceFailed, e.Failure);
            Assert.Contains("checksum mismatch", e.Message, StringComparison.Ordinal);
            await AssertNothingAsync(driver, other, objects);
        }
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task A_cancelled_copy_leaves_no_object_segment_or_upload(string api)
    {
        var (driver, target) = await ConnectedAsync(api);
        var source = InstallPath(target, "src.template");
        var facts = await driver.WriteFromStreamAsync(target, new MemoryStream(TestData.Random((3 * Segment) + 5, 23)), source, new ImageExpectations(), null, default);
        var other = target with { Uuid = SwiftFixture.Uuid(), Url = target.Url + "/second" };
        using var cts = new CancellationTokenSource();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() =>
            driver.CopyWithinStoreAsync(other, Stored(target, source, facts), InstallPath(other, "copy.template"), new Sync(_ => cts.Cancel()), cts.Token));

        using var objects = new SwiftObjects(Swift);
        await AssertNothingAsync(driver, other, objects);
    }

    private static StoredCopy Stored(BackupStorageTarget target, string path, ImageFileFacts facts) =>
        new(target, path, new ImageExpectations(facts.ActualSize, facts.Md5, facts.Sha256));

    /// <summary>No image, leftover (segments of an unnamed write, incomplete upload) or any object at all under the prefix.</summary>
    private static async Task AssertNothingAsync(ObjectStoreDriver driver, BackupStorageTarget other, SwiftObjects objects)
    {
        Assert.Empty(await driver.ListImageFilesAsync(other, default));
        var container = other.Url.Split('/')[0];
        Assert.Empty(await objects.ListAsync(container, "second/"));
        Assert.Empty(await objects.ListAsync(container + "+segments", "second/"));
    }

    /// <summary>A connected, marked target of a fresh container reached through <paramref name="proxy"/>.</summary>
    private async Task<(ObjectStoreDriver, BackupStorageTarget)> ThroughAsync(string api, CountingProxy proxy)
    {
        var driver = Driver(api);
        var direct = api == "swift" ? Swift.Swift(segmentSize: Segment) : Swift.S3(segmentSize: Segment);
        var (name, url) = api == "swift"
            ? (ObjectStoreSettings.AuthUrl, $"http://127.0.0.1:{proxy.Port}/auth/v1.0")
            : (ObjectStoreSettings.Endpoint, $"http://127.0.0.1:{proxy.Port}");
        var target = direct with { Settings = new Dictionary<string, string>(direct.Settings, StringComparer.Ordinal) { [name] = url } };
        await driver.ConnectAsync(target, default);
        await driver.WriteMarkerAsync(target, default);
        return (driver, target);
    }

    /// <summary>Progress handled on the reporting thread, in order.</summary>
    private sealed class Sync(Action<TransferProgress> report) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value) => report(value);
    }
}
