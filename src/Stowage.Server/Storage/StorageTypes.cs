using Stowage.Core.Config;
using Stowage.Persistence;
using Stowage.Persistence.Query;
using Stowage.Server.Protocol;

namespace Stowage.Server.Storage;

/// <summary>
/// The per-type part of one backup storage as generic code sees it: a type's own table row (ZStack's
/// <c>CephBackupStorageVO</c> next to <c>BackupStorageVO</c>) behind a settings record. Generic code builds
/// the driver's <see cref="Core.Storage.BackupStorageTarget"/> from it and never reads the table itself.
/// </summary>
public interface IStorageTypeRow
{
    /// <summary>What the driver receives in <see cref="Core.Storage.BackupStorageTarget.Settings"/> (no secret).</summary>
    IReadOnlyDictionary<string, string> Settings { get; }

    /// <summary>The credential protected with the key ring, or null for a type that needs none.</summary>
    string? CredentialCipher { get; }

    /// <summary>The type's own inventory fields (camelCase name → value), shown after the common ones.</summary>
    IReadOnlyDictionary<string, object?> InventoryFields { get; }

    /// <summary>Pins what the driver learned on connect (e.g. SFTP's host key) on the tracked row; the caller saves.</summary>
    void Learn(IReadOnlyDictionary<string, string> learned);
}

/// <summary>The row of a type that keeps nothing beyond the common backup storage row.</summary>
public sealed class EmptyStorageTypeRow : IStorageTypeRow
{
    public static EmptyStorageTypeRow Instance { get; } = new();

    public IReadOnlyDictionary<string, string> Settings { get; } = new Dictionary<string, string>();

    public string? CredentialCipher => null;

    public IReadOnlyDictionary<string, object?> InventoryFields { get; } = new Dictionary<string, object?>();

    public void Learn(IReadOnlyDictionary<string, string> learned)
    {
    }
}

/// <summary>
/// A storage type as the server knows it: its driver(s), its own APIs (Add/Update/Query…), its queryable
/// resource, its inventory class and its settings table. Registered with one call,
/// <see cref="StorageTypeServices.AddStorageType{TModule}"/>; the API catalogue (and so routing, OpenAPI and
/// the CLI), the query registry, the global config catalogue and GetBackupStorageTypes pick it up from there.
/// </summary>
public interface IStorageTypeModule
{
    /// <summary>ZStack type name, e.g. <c>CephBackupStorage</c>; equals the driver's <c>Type</c>.</summary>
    string Type { get; }

    /// <summary>The inventory class the <c>schema</c> of a reply names for backup storages of this type.</summary>
    string InventoryClass { get; }

    IEnumerable<ApiDescriptor> Apis { get; }

    IEnumerable<QueryResource> QueryResources(StorageTypeRegistry types);

    IEnumerable<GlobalConfigDefinition> Configs => [];

    /// <summary>Registers the driver (as <see cref="Core.Storage.IBackupStorageDriver"/>) and whatever else the type's APIs need.</summary>
    void AddServices(IServiceCollection services);

    /// <summary>The type's row of backup storage <paramref name="uuid"/>, tracked by <paramref name="db"/> when <paramref name="tracked"/>.</summary>
    Task<IStorageTypeRow?> FindAsync(StowageDbContext db, string uuid, bool tracked, CancellationToken ct);

    /// <summary>The rows of several backup storages (read only), for inventories.</summary>
    Task<IReadOnlyDictionary<string, IStorageTypeRow>> FindManyAsync(StowageDbContext db, IReadOnlyCollection<string> uuids, CancellationToken ct);
}

/// <summary>The registered storage types, by ZStack type name.</summary>
public sealed class StorageTypeRegistry(IEnumerable<IStorageTypeModule> modules)
{
    private readonly Dictionary<string, IStorageTypeModule> _modules = modules.ToDictionary(m => m.Type, StringComparer.Ordinal);

    public IReadOnlyCollection<IStorageTypeModule> All => _modules.Values;

    public IEnumerable<string> Types => _modules.Keys.Order(StringComparer.Ordinal);

    public IStorageTypeModule? Find(string type) => _modules.GetValueOrDefault(type);

    public IStorageTypeModule Get(string type) =>
        Find(type) ?? throw new InvalidOperationException($"BackupStorageType type: {type} was not registered by any storage type module");
}

/// <summary>Every registered type's APIs in the catalogue.</summary>
public sealed class StorageTypeFeature(StorageTypeRegistry types) : IApiFeature
{
    public IEnumerable<ApiDescriptor> Apis => types.All.SelectMany(m => m.Apis);
}

public static class StorageTypeServices
{
    /// <summary>Registers a storage type: its module, driver and services. One call per type, in <c>StowageServer.Build</c>.</summary>
    public static IServiceCollection AddStorageType<TModule>(this IServiceCollection services)
        where TModule : class, IStorageTypeModule, new() => services.AddStorageType(new TModule());

    public static IServiceCollection AddStorageType(this IServiceCollection services, IStorageTypeModule module)
    {
        services.AddSingleton<IStorageTypeModule>(module);
        module.AddServices(services);
        return services;
    }
}
