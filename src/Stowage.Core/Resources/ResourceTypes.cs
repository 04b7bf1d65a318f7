namespace Stowage.Core.Resources;

/// <summary>
/// ZStack resource type names (the VO class simple names) that tags and the resource index know.
/// Later features add theirs with <see cref="Register"/>.
/// </summary>
public static class ResourceTypes
{
    public const string Zone = "ZoneVO";

    private static readonly HashSet<string> Known = new(StringComparer.Ordinal) { Zone };
    private static readonly Lock Gate = new();

    public static void Register(string type)
    {
        lock (Gate)
        {
            Known.Add(type);
        }
    }

    public static bool IsKnown(string type)
    {
        lock (Gate)
        {
            return Known.Contains(type);
        }
    }

    public static IReadOnlyList<string> All
    {
        get
        {
            lock (Gate)
            {
                return [.. Known.Order(StringComparer.Ordinal)];
            }
        }
    }
}
