using System.Net;
using Microsoft.Extensions.Configuration;
using Stowage.Server.Hosting;
using Stowage.Server.Monitoring;
using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Server.Tests.Monitoring;

/// <summary>Who reads /metrics without a session: the decision function (a non-loopback peer cannot be made in a test) and the 403 path.</summary>
public sealed class MetricsAccessTests
{
    [Theory]
    [InlineData(null, "127.0.0.1", true)]
    [InlineData("loopback", "::1", true)]
    [InlineData("loopback", "::ffff:127.0.0.1", true)]
    [InlineData(null, "10.1.2.3", false)]
    [InlineData(null, null, false)]
    [InlineData("none", "127.0.0.1", false)]
    [InlineData("any", "203.0.113.9", true)]
    [InlineData("10.0.0.0/8, 192.168.1.5", "10.1.2.3", true)]
    [InlineData("10.0.0.0/8, 192.168.1.5", "192.168.1.5", true)]
    [InlineData("10.0.0.0/8, 192.168.1.5", "192.168.1.6", false)]
    [InlineData("10.0.0.0/8", "127.0.0.1", false)]
    [InlineData("loopback,10.0.0.0/8", "127.0.0.1", true)]
    [InlineData("fd00::/8", "fd12::1", true)]
    public void The_decision_follows_the_option(string? option, string? remote, bool allowed) =>
        Assert.Equal(allowed, MetricsAccess.Parse(option).AllowsAnonymous(remote is null ? null : IPAddress.Parse(remote)));

    [Theory]
    [InlineData("everyone")]
    [InlineData("10.0.0.0/33")]
    [InlineData("10.0.0.1,nope")]
    public void A_bad_option_stops_the_server_at_start(string option)
    {
        var e = Assert.Throws<InvalidOperationException>(() => StowageSettings.From(
            new ConfigurationBuilder().AddInMemoryCollection([new("metrics-anonymous", option), new("data-dir", Path.GetTempPath())]).Build()));
        Assert.Contains("--metrics-anonymous", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Without_anonymous_access_a_session_is_needed_and_its_absence_is_a_403_envelope()
    {
        await using var host = await StowageHost.StartAsync(extraArgs: ["--metrics-anonymous", "none"]);
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        var refused = await http.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Contains("\"code\":\"ID.1002\"", await refused.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var bad = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { { "Authorization", "OAuth " + new string('0', 32) } } };
        Assert.Equal(HttpStatusCode.Forbidden, (await http.SendAsync(bad)).StatusCode);

        using var client = host.Client();
        var session = await client.LoginAsync();
        using var ok = new HttpRequestMessage(HttpMethod.Get, "/metrics") { Headers = { { "Authorization", "OAuth " + session } } };
        var answer = await http.SendAsync(ok);
        Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        Assert.StartsWith("text/plain", answer.Content.Headers.ContentType!.ToString(), StringComparison.Ordinal);
        Assert.Contains("stowage_cluster_members 1", await answer.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }
}
