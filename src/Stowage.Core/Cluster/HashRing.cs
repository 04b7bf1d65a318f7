using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Stowage.Core.Cluster;

/// <summary>
/// Consistent hashing of resource uuids onto the live management servers, as ZStack places resources on
/// its management nodes: each server has many points on a ring and a uuid belongs to the first point at or
/// after its hash. A server joining or leaving moves only about 1/n of the resources, and every server that
/// sees the same member list computes the same owner.
/// </summary>
public sealed class HashRing
{
    public const int DefaultVirtualNodes = 200;

    private readonly ulong[] _points;
    private readonly string[] _owners;

    public HashRing(IEnumerable<string> nodeIds, int virtualNodes = DefaultVirtualNodes)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(virtualNodes, 1);
        Nodes = nodeIds.Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToArray();
        var points = new List<(ulong Point, string Node)>(Nodes.Count * virtualNodes);
        foreach (var node in Nodes)
        {
            for (var i = 0; i < virtualNodes; i++)
            {
                points.Add((Hash($"{node}#{i}"), node));
            }
        }

        // Ties (astronomically rare) are broken by node id so every server builds the same ring.
        points.Sort((a, b) => a.Point != b.Point ? a.Point.CompareTo(b.Point) : string.CompareOrdinal(a.Node, b.Node));
        _points = [.. points.Select(p => p.Point)];
        _owners = [.. points.Select(p => p.Node)];
    }

    public IReadOnlyList<string> Nodes { get; }

    /// <summary>The server a resource belongs to; null when the ring is empty.</summary>
    public string? OwnerOf(string resourceUuid)
    {
        if (_points.Length == 0)
        {
            return null;
        }

        var index = Array.BinarySearch(_points, Hash(resourceUuid));
        if (index < 0)
        {
            index = ~index;
        }

        return _owners[index == _points.Length ? 0 : index];
    }

    private static ulong Hash(string text)
    {
        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), digest);
        return BinaryPrimitives.ReadUInt64BigEndian(digest);
    }
}
