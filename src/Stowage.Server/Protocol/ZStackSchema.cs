using System.Globalization;
using System.Text.Json.Nodes;

namespace Stowage.Server.Protocol;

/// <summary>
/// The one place that knows which ZStack class each nested object of a result is, so <c>schema</c> names every
/// object the Java SDK should decode into a typed class, not only the top one (ZStack's RestServer does the same from
/// its field types). Paths are added only for values present in the body (after <c>fields</c> projection), parents
/// before children, as the SDK needs.
/// </summary>
public static class ZStackSchema
{
    public const string ImageRef = "org.zstack.header.image.ImageBackupStorageRefInventory";
    public const string VolumeSnapshotRef = "org.zstack.header.storage.snapshot.VolumeSnapshotBackupStorageRefInventory";
    public const string VolumeBackupRef = "org.zstack.header.storage.backup.VolumeBackupBackupStorageRefInventory";
    public const string CleanTrashResult = "org.zstack.header.core.trash.CleanTrashResult";
    public const string TrashCleanupResult = "org.zstack.header.core.trash.TrashCleanupResult";
    public const string ErrorCode = "org.zstack.header.errorcode.ErrorCode";

    /// <summary>Class → (property → class of the object, or of each element of the list, it holds).</summary>
    private static readonly Dictionary<string, Dictionary<string, string>> Nested = new(StringComparer.Ordinal)
    {
        ["org.zstack.header.image.ImageInventory"] = new(StringComparer.Ordinal) { ["backupStorageRefs"] = ImageRef },
        ["org.zstack.header.storage.snapshot.VolumeSnapshotInventory"] = new(StringComparer.Ordinal) { ["backupStorageRefs"] = VolumeSnapshotRef },
        ["org.zstack.header.storage.backup.VolumeBackupInventory"] = new(StringComparer.Ordinal) { ["backupStorageRefs"] = VolumeBackupRef },
        [TrashCleanupResult] = new(StringComparer.Ordinal) { ["error"] = ErrorCode },
    };

    /// <summary>Adds <paramref name="path"/> as <paramref name="className"/>, then the paths of the objects nested in <paramref name="node"/>.</summary>
    public static void Describe(Dictionary<string, string> schema, string path, string className, JsonNode? node)
    {
        if (node is null)
        {
            return;
        }

        if (node is JsonArray list)
        {
            for (var i = 0; i < list.Count; i++)
            {
                Describe(schema, path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]", className, list[i]);
            }

            return;
        }

        schema[path] = className;
        if (node is not JsonObject obj || !Nested.TryGetValue(className, out var children))
        {
            return;
        }

        foreach (var (property, childClass) in children)
        {
            if (obj.TryGetPropertyValue(property, out var child))
            {
                Describe(schema, path + "." + property, childClass, child);
            }
        }
    }
}
