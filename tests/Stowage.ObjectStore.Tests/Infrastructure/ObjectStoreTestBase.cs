using Stowage.Core.Storage;
using Stowage.ObjectStore.S3;
using Stowage.ObjectStore.Swift;

namespace Stowage.ObjectStore.Tests.Infrastructure;

/// <summary>Both drivers, the theory data that runs a test through each API, and a connected, marked target on a fresh container.</summary>
public abstract class ObjectStoreTestBase(SwiftFixture swift) : IDisposable
{
    /// <summary>The smallest S3 part: tests write several segments without much data.</summary>
    protected const int Segment = 5 * 1024 * 1024;

    public static TheoryData<string> Apis => ["swift", "s3"];

    protected SwiftFixture Swift => swift;

    protected SwiftBackupStorageDriver SwiftDriver { get; } = new();

    protected S3BackupStorageDriver S3Driver { get; } = new();

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    internal static string InstallPath(BackupStorageTarget target, string file) =>
        $"{target.Url}/rootVolumeTemplates/acct-{new string('a', 32)}/{SwiftFixture.Uuid()}/{file}";

    internal static string Relative(BackupStorageTarget target, string installPath) => installPath[(target.Url.Length + 1)..];

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            SwiftDriver.Dispose();
            S3Driver.Dispose();
        }
    }

    protected ObjectStoreDriver Driver(string api) => api == "swift" ? SwiftDriver : S3Driver;

    protected async Task<(ObjectStoreDriver Driver, BackupStorageTarget Target)> ConnectedAsync(string api)
    {
        var driver = Driver(api);
        var target = api == "swift" ? swift.Swift(segmentSize: Segment) : swift.S3(segmentSize: Segment);
        var connected = await driver.ConnectAsync(target, default);
        Assert.Null(connected.ExistingMarker);
        await driver.WriteMarkerAsync(target, default);
        return (driver, target);
    }
}
