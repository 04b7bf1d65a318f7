using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.Persistence.Entities;

namespace Stowage.Server.Storage;

/// <summary>
/// The one error an API answers when a backup storage's type lacks a capability (glance_store style): the
/// check happens before any work starts, so nothing is left half-done, and the text names the type and what it lacks.
/// </summary>
public static class StorageRefusal
{
    public static ApiException Lacks(BackupStorageEntity bs, string what) =>
        new(Errors.Of(Errors.Operation, $"backup storage[uuid:{bs.Uuid}, name:{bs.Name}] is a {bs.Type}, which does not support {what}"));

    /// <summary>Throws <see cref="Lacks"/> unless <paramref name="has"/> holds for the type's capabilities.</summary>
    public static void Require(BackupStorageDriverRegistry drivers, BackupStorageEntity bs, Func<StorageCapabilities, bool> has, string what)
    {
        if (!drivers.TryGet(bs.Type, out var driver) || !has(driver.Capabilities))
        {
            throw Lacks(bs, what);
        }
    }
}
