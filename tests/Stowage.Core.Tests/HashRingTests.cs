using Stowage.Core.Cluster;

namespace Stowage.Core.Tests;

public sealed class HashRingTests
{
    private static readonly string[] Uuids = [.. Enumerable.Range(0, 3000).Select(i => $"{i:x32}")];

    [Fact]
    public void An_empty_ring_owns_nothing() => Assert.Null(new HashRing([]).OwnerOf("a"));

    [Fact]
    public void Every_server_building_the_ring_from_the_same_members_in_any_order_computes_the_same_owner()
    {
        var a = new HashRing(["n1", "n2", "n3"]);
        var b = new HashRing(["n3", "n1", "n2", "n1"]);
        Assert.All(Uuids, u => Assert.Equal(a.OwnerOf(u), b.OwnerOf(u)));
    }

    [Fact]
    public void Resources_spread_over_the_servers_roughly_evenly()
    {
        var ring = new HashRing(["n1", "n2", "n3"]);
        var counts = Uuids.GroupBy(ring.OwnerOf).ToDictionary(g => g.Key!, g => g.Count());
        Assert.Equal(3, counts.Count);
        // 1000 each when perfectly even; 200 virtual nodes per server keep every share within ±25 %.
        Assert.All(counts.Values, c => Assert.InRange(c, 750, 1250));
    }

    [Fact]
    public void A_server_leaving_moves_only_its_own_resources_and_a_server_joining_takes_only_from_others()
    {
        var three = new HashRing(["n1", "n2", "n3"]);
        var two = new HashRing(["n1", "n2"]);
        foreach (var u in Uuids)
        {
            if (three.OwnerOf(u) != "n3")
            {
                Assert.Equal(three.OwnerOf(u), two.OwnerOf(u));
            }
        }

        var moved = Uuids.Count(u => two.OwnerOf(u) != three.OwnerOf(u));
        Assert.InRange(moved, 750, 1250);
    }
}
