using System.Text.Json.Nodes;

namespace Stowage.Server.Tests.StorageTypes;

/// <summary>
/// A place a backup storage of some type lives: <see cref="Url"/> is what its Add API takes, <see cref="LocalPath"/>
/// the directory on this machine where its files can be seen (the same for SFTP on loopback and FileSystem; the
/// export's backing directory for NFS).
/// </summary>
public sealed record StorageLocation(string Url, string LocalPath)
{
    /// <summary>Where an install path of a backup storage at this location is on this machine.</summary>
    public string Local(string installPath) =>
        installPath.StartsWith(Url, StringComparison.Ordinal) ? LocalPath + installPath[Url.Length..] : installPath;
}

/// <summary>
/// One storage type under test. The contract suites take the type as a theory parameter and reach the type
/// only through this interface, so a new type joins them by adding one implementation to
/// <see cref="StorageWorld"/> (its real server, if any, started once per run there).
/// </summary>
public interface IStorageTypeFixture
{
    /// <summary>ZStack type name, e.g. <c>SftpBackupStorage</c>.</summary>
    string Type { get; }

    /// <summary>The path of the type's Add and Query APIs, e.g. <c>/backup-storage/sftp</c>.</summary>
    string ApiPath { get; }

    /// <summary>The class the <c>schema</c> of its inventories names.</summary>
    string InventoryClass { get; }

    /// <summary>What the type can do that not every type can; suites skip the parts a type declares it lacks.</summary>
    StorageTypeTraits Traits { get; }

    /// <summary>A fresh location that does not exist yet (the add creates it).</summary>
    StorageLocation NewLocation(string name = "bs");

    /// <summary>The <c>params</c> of an Add call for <paramref name="location"/> with working credentials.</summary>
    JsonObject AddParams(StorageLocation location, string name);

    /// <summary>Makes the storage unreachable for every backup storage of this type (its server stopped, its directory gone).</summary>
    Task BreakAsync();

    /// <summary>Undoes <see cref="BreakAsync"/>.</summary>
    Task RestoreAsync();

    /// <summary>Writes a file at <paramref name="localPath"/> the way the storage itself would own it.</summary>
    void Plant(string localPath, byte[] content);

    /// <summary>Changes one byte in the middle of a stored file (same size, other digest), as bit rot or a stray write would.</summary>
    void Corrupt(string localPath);

    /// <summary>Fails when a transfer process of this storage still works on <paramref name="location"/> (within a few seconds).</summary>
    void AssertNoTransferLeft(StorageLocation location);

    /// <summary>Stored files are read-only files with a mode (an object store has none).</summary>
    bool HasFileModes => true;

    /// <summary>
    /// Every file stored at the location as an install path (url + relative path), the identity marker and the metadata
    /// file excepted. An object store lists its objects, plus every segment or multipart part that no manifest names
    /// (what an interrupted write left), so "nothing left" means nothing in the store either.
    /// </summary>
    Task<IReadOnlyList<string>> FilesAsync(StorageLocation location) =>
        Task.FromResult<IReadOnlyList<string>>([.. Images.ImageKit.Files(location.LocalPath).Select(f => location.Url + f[location.LocalPath.Length..])]);

    /// <summary>The bytes stored at <paramref name="installPath"/>, read behind Stowage's back.</summary>
    Task<byte[]> ReadAsync(StorageLocation location, string installPath) => File.ReadAllBytesAsync(location.Local(installPath));

    /// <summary>Writes a file at <paramref name="installPath"/> behind Stowage's back.</summary>
    Task PlantAsync(StorageLocation location, string installPath, byte[] content)
    {
        Plant(location.Local(installPath), content);
        return Task.CompletedTask;
    }

    /// <summary>Changes one byte in the middle of the stored file at <paramref name="installPath"/> (same size, other digest).</summary>
    Task CorruptAsync(StorageLocation location, string installPath)
    {
        Corrupt(location.Local(installPath));
        return Task.CompletedTask;
    }

    /// <summary>
    /// Leaves what an interrupted write of <paramref name="installPath"/> leaves behind, holding <paramref name="content"/>:
    /// the temporary file <c>&lt;path&gt;.stowage-part</c> on a disk; segments no manifest names (Swift) or an incomplete
    /// multipart upload (S3) in an object store. Either way the trash lists it as <c>&lt;path&gt;.stowage-part</c>.
    /// </summary>
    Task PlantLeftoverAsync(StorageLocation location, string installPath, byte[] content) =>
        PlantAsync(location, installPath + ".stowage-part", content);

    /// <summary>Removes the stored file at <paramref name="installPath"/> behind Stowage's back, as a lost file would go.</summary>
    Task DeleteAsync(StorageLocation location, string installPath)
    {
        File.Delete(location.Local(installPath));
        return Task.CompletedTask;
    }
}

/// <summary>What a type declares about itself for the suites (mirrors the server's StorageCapabilities).</summary>
public sealed record StorageTypeTraits(bool HostPullsFromUrl, bool HostFileSource, bool HostToHostCopy, bool DirectFetch);
