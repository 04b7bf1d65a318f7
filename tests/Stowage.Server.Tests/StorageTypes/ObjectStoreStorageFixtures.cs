using System.Text.Json.Nodes;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Stowage.ObjectStore.Tests.Infrastructure;

namespace Stowage.Server.Tests.StorageTypes;

/// <summary>
/// The object-store types over the run's real Swift (its native API and its s3api). A location is a fresh
/// container (bucket) with a prefix; it has no directory on this machine (<see cref="StorageLocation.LocalPath"/> is
/// empty), so the suites see, plant and corrupt its files through Swift's own API (<see cref="SwiftObjects"/>).
/// </summary>
public abstract class ObjectStoreStorageFixture(SwiftFixture swift) : IStorageTypeFixture, IDisposable
{
    private const string Marker = ".stowage-backup-storage";

    private const string MetadataFile = "bs_image_info.json";

    private readonly SwiftObjects _objects = new(swift);

    public SwiftFixture Swift => swift;

    /// <summary>The fixture's own view of the store (Swift's native API).</summary>
    protected SwiftObjects Objects => _objects;

    public abstract string Type { get; }

    public abstract string ApiPath { get; }

    public abstract string InventoryClass { get; }

    public StorageTypeTraits Traits { get; } = new(HostPullsFromUrl: false, HostFileSource: false, HostToHostCopy: false, DirectFetch: false);

    public bool HasFileModes => false;

    public StorageLocation NewLocation(string name = "bs") => new($"{SwiftFixture.Container()}/{name}", string.Empty);

    public abstract JsonObject AddParams(StorageLocation location, string name);

    public Task BreakAsync() => swift.KillProxyAsync();

    public Task RestoreAsync() => swift.StartProxyAsync();

    public void Plant(string localPath, byte[] content) =>
        throw new NotSupportedException("an object store has no local files to plant into: use PlantAsync");

    public void Corrupt(string localPath) =>
        throw new NotSupportedException("an object store has no local files to corrupt: use CorruptAsync");

    /// <summary>Stowage runs no transfer process for an object store: every byte goes through its own HTTP client.</summary>
    public void AssertNoTransferLeft(StorageLocation location)
    {
    }

    public async Task<IReadOnlyList<string>> FilesAsync(StorageLocation location)
    {
        var (container, prefix) = Split(location);
        var objects = await _objects.ListAsync(container, prefix);
        var parts = await _objects.ListAsync(container + "+segments", prefix);
        var named = new HashSet<string>(StringComparer.Ordinal);
        foreach (var manifest in objects.Where(o => o.Manifest))
        {
            named.UnionWith(await _objects.SegmentsOfAsync(container, manifest.Name));
        }

        var files = new List<string>();
        foreach (var o in objects)
        {
            var segment = o.Name.Contains(".segments/", StringComparison.Ordinal);
            if ((segment && !named.Contains(container + "/" + o.Name)) || (!segment && o.Name != prefix + Marker && o.Name != prefix + MetadataFile))
            {
                files.Add(container + "/" + o.Name);
            }
        }

        files.AddRange(parts.Where(p => !named.Contains(container + "+segments/" + p.Name)).Select(p => container + "+segments/" + p.Name));
        return files;
    }

    public Task<byte[]> ReadAsync(StorageLocation location, string installPath)
    {
        var (container, key) = KeyOf(installPath);
        return _objects.GetAsync(container, key);
    }

    public Task PlantAsync(StorageLocation location, string installPath, byte[] content)
    {
        var (container, key) = KeyOf(installPath);
        return _objects.PutAsync(container, key, content);
    }

    /// <summary>A plain object gets its middle byte flipped; a segmented one the middle byte of its middle segment.</summary>
    public async Task CorruptAsync(StorageLocation location, string installPath)
    {
        var (container, key) = KeyOf(installPath);
        var entry = (await _objects.ListAsync(container, key)).Single(o => o.Name == key);
        if (entry.Manifest)
        {
            var segments = await _objects.SegmentsOfAsync(container, key);
            (container, key) = KeyOf(segments[segments.Count / 2]);
        }

        var bytes = await _objects.GetAsync(container, key);
        bytes[bytes.Length / 2] ^= 0xff;
        await _objects.PutAsync(container, key, bytes);
    }

    /// <summary>What an interrupted segmented write of <paramref name="installPath"/> leaves in this type's store.</summary>
    public abstract Task PlantLeftoverAsync(StorageLocation location, string installPath, byte[] content);

    public async Task DeleteAsync(StorageLocation location, string installPath)
    {
        var (container, key) = KeyOf(installPath);
        var entry = (await _objects.ListAsync(container, key)).Single(o => o.Name == key);
        await _objects.DeleteAsync(container, key, entry.Manifest);
    }

    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _objects.Dispose();
        }
    }

    private static (string Container, string Prefix) Split(StorageLocation location)
    {
        var (container, prefix) = KeyOf(location.Url);
        return (container, prefix.Length == 0 ? string.Empty : prefix + "/");
    }

    protected static (string Container, string Key) KeyOf(string path)
    {
        var slash = path.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? (path, string.Empty) : (path[..slash], path[(slash + 1)..]);
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

    /// <summary>A segment of a write that never got its manifest (the driver's naming: <c>&lt;key&gt;.segments/&lt;write id&gt;/&lt;number&gt;</c>).</summary>
    public override Task PlantLeftoverAsync(StorageLocation location, string installPath, byte[] content)
    {
        var (container, key) = KeyOf(installPath);
        return Objects.PutAsync(container, $"{key}.segments/{Guid.NewGuid():N}/000001", content);
    }
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

    /// <summary>A multipart upload started with one part and never completed nor aborted, through S3 itself.</summary>
    public override async Task PlantLeftoverAsync(StorageLocation location, string installPath, byte[] content)
    {
        var (bucket, key) = KeyOf(installPath);
        var config = new AmazonS3Config
        {
            ServiceURL = Swift.Endpoint,
            ForcePathStyle = true,
            AuthenticationRegion = "us-east-1",
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
        };
        using var s3 = new AmazonS3Client(new BasicAWSCredentials("test:tester", "testing"), config);
        var upload = await s3.InitiateMultipartUploadAsync(new InitiateMultipartUploadRequest { BucketName = bucket, Key = key });
        using var body = new MemoryStream(content);
        await s3.UploadPartAsync(new UploadPartRequest
        {
            BucketName = bucket, Key = key, UploadId = upload.UploadId, PartNumber = 1, InputStream = body, PartSize = content.Length, UseChunkEncoding = false,
        });
    }
}
