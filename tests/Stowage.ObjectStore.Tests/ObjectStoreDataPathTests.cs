using Stowage.Core.Storage;
using Stowage.ObjectStore.S3;
using Stowage.ObjectStore.Swift;
using Stowage.ObjectStore.Tests.Infrastructure;

namespace Stowage.ObjectStore.Tests;

/// <summary>The image data path on the real Swift, once through Swift's API and once through its S3 API.</summary>
[Collection(SwiftCollection.Name)]
public sealed class ObjectStoreDataPathTests(SwiftFixture swift) : ObjectStoreTestBase(swift)
{
    [Theory]
    [MemberData(nameof(Apis))]
    public async Task Connect_marker_ping_and_a_small_image_read_back_byte_exact(string api)
    {
        var (driver, target) = await ConnectedAsync(api);
        var data = TestData.Random(300_000, 1);
        var path = InstallPath(target, "small.template");

        var facts = await driver.WriteFromStreamAsync(target, new MemoryStream(data), path, new ImageExpectations(data.Length, TestData.Md5(data), TestData.Sha256(data)), null, default);

        Assert.Equal((data.Length, TestData.Md5(data), TestData.Sha256(data), "raw"), (facts.ActualSize, facts.Md5, facts.Sha256, facts.Format));
        await using (var read = await driver.OpenReadAsync(target, path, 0, default))
        {
            Assert.Equal(data.Length, read.Length);
            Assert.Equal(data, await TestData.ReadAllAsync(read));
        }

        await using (var tail = await driver.OpenReadAsync(target, path, 1000, default))
        {
            Assert.Equal(data.Length, tail.Length);
            Assert.Equal(data[1000..], await TestData.ReadAllAsync(tail));
        }

        var files = await driver.ListImageFilesAsync(target, default);
        Assert.Equal([(Relative(target, path), (long)data.Length)], files.Select(f => (f.RelativePath, f.Size)));
        var capacity = await driver.PingAsync(target, default);
        Assert.Equal(10L << 30, capacity.Total);
        Assert.True(capacity.Available <= capacity.Total - data.Length);

        await driver.WriteMetadataAsync(target, "{\"a\":1}", default);
        Assert.Equal("{\"a\":1}", await driver.ReadMetadataAsync(target, default));

        await driver.DeleteImageAsync(target, path, default);
        Assert.Empty(await driver.ListImageFilesAsync(target, default));
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task A_large_image_is_written_in_segments_and_reads_back_across_segment_boundaries(string api)
    {
        var (driver, target) = await ConnectedAsync(api);
        var data = TestData.Random((2 * Segment) + 123_457, 2);
        var path = InstallPath(target, "large.template");

        var facts = await driver.WriteFromStreamAsync(target, new MemoryStream(data), path, new ImageExpectations(Sha256: TestData.Sha256(data)), null, default);

        Assert.Equal(TestData.Md5(data), facts.Md5);
        await using (var read = await driver.OpenReadAsync(target, path, Segment - 10, default))
        {
            Assert.Equal(data.Length, read.Length);
            Assert.Equal(data[(Segment - 10)..], await TestData.ReadAllAsync(read));
        }

        Assert.Equal([(Relative(target, path), (long)data.Length)], (await driver.ListImageFilesAsync(target, default)).Select(f => (f.RelativePath, f.Size)));
        await driver.DeleteImageAsync(target, path, default);
        Assert.Empty(await driver.ListImageFilesAsync(target, default));
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task A_checksum_mismatch_fails_the_write_and_leaves_nothing(string api)
    {
        var (driver, target) = await ConnectedAsync(api);
        var small = TestData.Random(10_000, 3);
        var large = TestData.Random(Segment + 1000, 4);

        var e1 = await Assert.ThrowsAsync<StorageException>(() => driver.WriteFromStreamAsync(target, new MemoryStream(small), InstallPath(target, "a.template"), new ImageExpectations(Md5: new string('0', 32)), null, default));
        var e2 = await Assert.ThrowsAsync<StorageException>(() => driver.WriteFromStreamAsync(target, new MemoryStream(large), InstallPath(target, "b.template"), new ImageExpectations(Sha256: new string('0', 64)), null, default));

        Assert.Equal((StorageFailure.SourceFailed, StorageFailure.SourceFailed), (e1.Failure, e2.Failure));
        Assert.Empty(await driver.ListImageFilesAsync(target, default));
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task A_cancelled_write_leaves_no_visible_object_and_the_sweep_removes_its_segments(string api)
    {
        var (driver, target) = await ConnectedAsync(api);
        using var cts = new CancellationTokenSource();
        var source = new TriggerStream(TestData.Random((3 * Segment) + 10, 5), Segment + 100, () =>
        {
            cts.Cancel();
            return Task.CompletedTask;
        });
        var path = InstallPath(target, "cancelled.template");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => driver.WriteFromStreamAsync(target, source, path, new ImageExpectations(), null, cts.Token));

        var files = await driver.ListImageFilesAsync(target, default);
        Assert.DoesNotContain(files, f => f.RelativePath == Relative(target, path));
        foreach (var part in files.Where(f => f.RelativePath.EndsWith(IStorageHousekeeping.TempSuffix, StringComparison.Ordinal)))
        {
            await driver.DeletePathAsync(target, part.RelativePath, default);
        }

        Assert.Empty(await driver.ListImageFilesAsync(target, default));
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task Wrong_credentials_are_refused(string api)
    {
        var driver = Driver(api);
        var target = api == "swift" ? Swift.Swift(key: "wrong") : Swift.S3(secret: "wrong");

        var e = await Assert.ThrowsAsync<StorageException>(() => driver.ConnectAsync(target, default));

        Assert.Equal(StorageFailure.AuthenticationFailed, e.Failure);
    }

    [Theory]
    [MemberData(nameof(Apis))]
    public async Task A_ping_refuses_a_container_marked_for_another_backup_storage(string api)
    {
        var (driver, target) = await ConnectedAsync(api);
        var other = target with { Uuid = SwiftFixture.Uuid() };

        var e = await Assert.ThrowsAsync<StorageException>(() => driver.PingAsync(other, default));

        Assert.Equal(StorageFailure.IdentityMismatch, e.Failure);
        Assert.Equal(target.Uuid, (await driver.ConnectAsync(other, default)).ExistingMarker);
    }
}
