using Stowage.Nfs.Tests.Infrastructure;
using Stowage.ObjectStore.Tests.Infrastructure;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.StorageTypes;

/// <summary>
/// Every storage type under test, with the real servers they need, started once per test run for the
/// <see cref="StorageCollection"/>. Suites take a type name from <see cref="Types"/> (or
/// <see cref="TypesOnBothDatabases"/>) and use <c>world[type]</c>. Adding a type: start its server here,
/// add its <see cref="IStorageTypeFixture"/> to <see cref="InitializeAsync"/> and its name to <see cref="Names"/>.
/// </summary>
public sealed class StorageWorld : IAsyncLifetime
{
    private static readonly string[] Names = [SftpStorageFixture.TypeName, FileSystemStorageFixture.TypeName, NfsStorageFixture.TypeName];

    // The object stores have no files on this machine; the suites that read files through LocalPath do not take them yet.
    private static readonly string[] ObjectStoreNames = [SwiftStorageFixture.TypeName, S3StorageFixture.TypeName];
    private readonly Dictionary<string, IStorageTypeFixture> _types = new(StringComparer.Ordinal);

    /// <summary>The run's Swift (with s3api), serving the Swift and S3 types.</summary>
    public SwiftFixture Swift { get; } = new();

    /// <summary>The object-store types (Swift, S3), run by the suites that do not look at files on disk.</summary>
    public static TheoryData<string> ObjectStoreTypes => [.. ObjectStoreNames];

    /// <summary>Every type, object stores included, for the suites that reach storage only through the API.</summary>
    public static TheoryData<string> AllTypes => [.. Names, .. ObjectStoreNames];

    /// <summary>The run's sshd (SFTP-only tests use it directly).</summary>
    public SshdFixture Sshd { get; } = new();

    /// <summary>The run's NFS-Ganesha (null until started).</summary>
    public GaneshaServer? Ganesha { get; private set; }

    public IStorageTypeFixture this[string type] => _types[type];

    /// <summary>The types the contract suites run on.</summary>
    public static TheoryData<string> Types => [.. Names];

    /// <summary>Every type on SQLite, and on PostgreSQL when the test script started one.</summary>
    public static TheoryData<string, Db> TypesOnBothDatabases
    {
        get
        {
            var data = new TheoryData<string, Db>();
            foreach (var type in Names)
            {
                foreach (var db in Databases.Both)
                {
                    data.Add(type, db);
                }
            }

            return data;
        }
    }

    /// <summary>
    /// Every type on SQLite, the file types on PostgreSQL too: the object stores join the contract suites once per
    /// type (their database side is the file types' own), which keeps the run's time in budget.
    /// </summary>
    public static TheoryData<string, Db> AllTypesOnBothDatabases
    {
        get
        {
            var data = TypesOnBothDatabases;
            foreach (var type in ObjectStoreNames)
            {
                data.Add(type, Db.Sqlite);
            }

            return data;
        }
    }

    public async Task InitializeAsync()
    {
        await Task.WhenAll(Sshd.InitializeAsync(), Swift.InitializeAsync());
        _types[SftpStorageFixture.TypeName] = new SftpStorageFixture(Sshd);
        _types[FileSystemStorageFixture.TypeName] = new FileSystemStorageFixture();
        Ganesha = await GaneshaServer.StartAsync();
        _types[NfsStorageFixture.TypeName] = new NfsStorageFixture(Ganesha);
        _types[SwiftStorageFixture.TypeName] = new SwiftStorageFixture(Swift);
        _types[S3StorageFixture.TypeName] = new S3StorageFixture(Swift);
    }

    public async Task DisposeAsync()
    {
        foreach (var type in _types.Values.OfType<IDisposable>())
        {
            type.Dispose();
        }

        if (Ganesha is not null)
        {
            await Ganesha.DisposeAsync();
        }

        try
        {
            await Sshd.DisposeAsync();
        }
        finally
        {
            await Swift.DisposeAsync();
        }
    }
}

/// <summary>The tests that use real storage share one <see cref="StorageWorld"/> (and so one sshd) and run one after another.</summary>
[CollectionDefinition(Name)]
public sealed class StorageCollection : ICollectionFixture<StorageWorld>
{
    public const string Name = "storage";
}
