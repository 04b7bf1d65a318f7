using System.Net;

namespace Stowage.Server.Monitoring;

/// <summary>
/// Who may read <c>/metrics</c> without a session (<c>--metrics-anonymous</c> / <c>STOWAGE_METRICS_ANONYMOUS</c>):
/// <c>loopback</c> (the default: a Prometheus on the same machine), <c>any</c>, <c>none</c>, or a comma-separated list
/// of addresses and CIDR networks (<c>10.0.0.0/8,192.168.1.5</c>). Everyone else needs a valid session
/// (<c>Authorization: OAuth &lt;session uuid&gt;</c>) or gets 403. Checked at start-up: a bad value stops the server.
/// </summary>
public sealed class MetricsAccess
{
    private readonly bool _any;
    private readonly bool _loopback;
    private readonly IReadOnlyList<IPNetwork> _networks;

    private MetricsAccess(bool any, bool loopback, IReadOnlyList<IPNetwork> networks) => (_any, _loopback, _networks) = (any, loopback, networks);

    public static MetricsAccess LoopbackOnly { get; } = new(false, true, []);

    public static MetricsAccess Parse(string? text)
    {
        text = text?.Trim();
        if (string.IsNullOrEmpty(text) || text.Equals("loopback", StringComparison.OrdinalIgnoreCase))
        {
            return LoopbackOnly;
        }

        if (text.Equals("any", StringComparison.OrdinalIgnoreCase))
        {
            return new(true, false, []);
        }

        if (text.Equals("none", StringComparison.OrdinalIgnoreCase))
        {
            return new(false, false, []);
        }

        var networks = new List<IPNetwork>();
        var loopback = false;
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (part.Equals("loopback", StringComparison.OrdinalIgnoreCase))
            {
                loopback = true;
            }
            else if (IPNetwork.TryParse(part, out var network))
            {
                networks.Add(network);
            }
            else if (IPAddress.TryParse(part, out var address))
            {
                networks.Add(new IPNetwork(address, address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork ? 32 : 128));
            }
            else
            {
                throw new InvalidOperationException($"invalid --metrics-anonymous entry '{part}': expected loopback, any, none, or a list of addresses and CIDR networks (10.0.0.0/8)");
            }
        }

        return new(false, loopback, networks);
    }

    /// <summary>Whether a request from <paramref name="remote"/> (null: not a network peer, e.g. a test server) may read without a session.</summary>
    public bool AllowsAnonymous(IPAddress? remote)
    {
        if (_any)
        {
            return true;
        }

        if (remote is null)
        {
            return false;
        }

        if (remote.IsIPv4MappedToIPv6)
        {
            remote = remote.MapToIPv4();
        }

        return _loopback && IPAddress.IsLoopback(remote) || _networks.Any(n => n.Contains(remote));
    }
}
