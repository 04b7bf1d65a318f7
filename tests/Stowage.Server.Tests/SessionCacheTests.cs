using System.Net;
using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Server.Tests;

/// <summary>The session lookup cache must not outlive a logout on this server nor the session's expiry.</summary>
public sealed class SessionCacheTests
{
    [Fact]
    public async Task Logout_invalidates_a_cached_session_at_once()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        var session = await client.LoginAsync();
        Assert.Equal(HttpStatusCode.OK, (await client.QueryAsync("/zones")).Status); // now cached

        var logout = await client.SendAsync(HttpMethod.Delete, "/accounts/sessions/" + session, auth: false);
        Assert.Equal(HttpStatusCode.OK, logout.Status);

        var after = await client.QueryAsync("/zones");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, after.Status);
        Assert.Equal("ID.1001", after.ErrorCode);
    }

    [Fact]
    public async Task A_cached_session_still_expires()
    {
        await using var host = await StowageHost.StartAsync(fakeClock: true);
        using var client = host.Client();
        await client.LoginAsync();
        Assert.Equal(HttpStatusCode.OK, (await client.QueryAsync("/zones")).Status); // now cached

        host.Clock!.Advance(TimeSpan.FromSeconds(7200) + TimeSpan.FromMilliseconds(1));
        var after = await client.QueryAsync("/zones");
        Assert.Equal(HttpStatusCode.ServiceUnavailable, after.Status);
        Assert.Equal("ID.1001", after.ErrorCode);
    }
}
