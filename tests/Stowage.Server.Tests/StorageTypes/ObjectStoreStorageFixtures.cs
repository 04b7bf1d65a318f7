using System.Text.Json.Nodes;
using Stowage.ObjectStore.Tests.Infrastructure;

namespace Stowage.Server.Tests.StorageTypes;

/// <summary>
/// The object-store types over the run's real Swift (its native API and its s3api). A location is a fresh
/// container (bucket) with a prefix; it has no directory on this machine, so <see cref="StorageLocation.LocalPath"/>
/// is empty and the suites that look at files on disk do not run on these types (see <see cref="StorageWorld.ObjectStoreTypes"/>).
/// </summary>
public abstract class ObjectStoreStorageFixture(SwiftFixture swift) : IStorageTypeFixture
{
    public SwiftFixture Swift => swift;

    public abstract string Type { get; }

    public abstract string ApiPath { get; }

    public abstract string InventoryClass { get; }

    public StorageTypeTraits Traits { get; } = new(HostPullsFromUrl: false, HostFileSource: false, HostToHostCopy: false, DirectFetch: false);

    public StorageLocation NewLocation(string name = "bs") => new($"{SwiftFixture.Container()}/{name}", string.Empty);

    public abstract JsonObject AddParams(StorageLocation location, string name);

    public Task BreakAsync() => swift.KillProxyAsync();

    public Task RestoreAsync() => swift.StartProxyAsync();

    public void Plant(string localPath, byte[] content) =>
        throw new NotSupportedException("an object store has no local files to plant into");

    public void Corrupt(string localPath) =>
        throw new NotSupportedException("an object store has no local files to corrupt");

    /// <summary>Stowage runs no transfer process for an object store: every byte goes through its own HTTP client.</summary>
    public void AssertNoTransferLeft(StorageLocation location)
    {
    }
}

public sealed class SwiftStorageFixture(SwiftFixture swift) : ObjectStoreStorageFixture(swift)
{
    public const string TypeName = "SwiftBackupStorage";

    public override string Type => TypeName;

    public override string ApiPath => "/backup-storage/swift";

    public override string InventoryClass => "org.zstack.storage.backup.swift.SwiftBackupStorageInventory";

    public override JsonObject AddParams(StorageLocation location, string name) => new()
    {
        ["name"] = name,
        ["url"] = location.Url,
        ["authUrl"] = Swift.AuthUrl,
        ["username"] = "test:tester",
        ["password"] = "testing",
        ["totalCapacity"] = 10L << 30,
    };
}

public sealed class S3StorageFixture(SwiftFixture swift) : ObjectStoreStorageFixture(swift)
{
    public const string TypeName = "S3BackupStorage";

    public override string Type => TypeName;

    public override string ApiPath => "/backup-storage/s3";

    public override string InventoryClass => "org.zstack.storage.backup.s3.S3BackupStorageInventory";

    public override JsonObject AddParams(StorageLocation location, string name) => new()
    {
        ["name"] = name,
        ["url"] = location.Url,
        ["endpoint"] = Swift.Endpoint,
        ["accessKey"] = "test:tester",
        ["secretKey"] = "testing",
        ["region"] = "us-east-1",
        ["pathStyle"] = true,
        ["totalCapacity"] = 10L << 30,
    };
}
