using Stowage.Core.Storage;
using Stowage.ObjectStore.Tests.Infrastructure;

namespace Stowage.ObjectStore.Tests;

/// <summary>
/// Verification of a segmented object on the real Swift, through both APIs: the manifest is read through as a download
/// would. Swift ends the body where a segment changed or is gone, the same way each time, so the object is reported
/// unreadable (damaged) rather than an I/O exception escaping the verifier; a store that is down is a storage failure.
/// </summary>
[Collection(SwiftCollection.Name)]
public sealed class ObjectStoreVerifyTests(SwiftFixture swift) : ObjectStoreTestBase(swift)
{
    [Theory]
    [MemberData(nameof(Apis))]
    public async Task A_changed_segment_is_a_digest_mismatch_and_a_lost_one_a_storage_failure(string api)
    {
        var (driver, target) = await ConnectedAsync(api);
        var data = TestData.Random((2 * Segment) + 1000, 7);
        var path = InstallPath(target, "seg.template");
        await driver.WriteFromStreamAsync(target, new MemoryStream(data), path, new ImageExpectations(Sha256: TestData.Sha256(data)), null, default);

        var check = await driver.VerifyStoredFileAsync(target, path, () => 0, null, default);
        Assert.Equal((false, (long)data.Length, TestData.Md5(data), TestData.Sha256(data)), (check.Missing, check.Size, check.Md5, check.Sha256));

        using var objects = new SwiftObjects(Swift);
        var key = Relative(target, path);
        var segments = await objects.SegmentsOfAsync(target.Url, key);
        Assert.Equal(3, segments.Count);
        var middle = segments[1].Split('/', 2);
        var bytes = await objects.GetAsync(middle[0], middle[1]);
        bytes[bytes.Length / 2] ^= 0xff;
        await objects.PutAsync(middle[0], middle[1], bytes);
        check = await driver.VerifyStoredFileAsync(target, path, () => 0, null, default);
        Assert.False(check.Missing);
        Assert.Contains("cannot be read whole", check.Unreadable, StringComparison.Ordinal);
        Assert.True(check.Size < data.Length);

        await objects.DeleteAsync(middle[0], middle[1]);
        check = await driver.VerifyStoredFileAsync(target, path, () => 0, null, default);
        Assert.Contains("a segment is missing", check.Unreadable, StringComparison.Ordinal);

        // With the store gone the read cannot even start: a storage failure, not damage.
        await Swift.KillProxyAsync();
        try
        {
            await Assert.ThrowsAsync<StorageException>(() => driver.VerifyStoredFileAsync(target, path, () => 0, null, default));
        }
        finally
        {
            await Swift.StartProxyAsync();
        }

        await objects.DeleteAsync(target.Url, key, manifest: true);
        Assert.True((await driver.VerifyStoredFileAsync(target, path, () => 0, null, default)).Missing);
    }
}
