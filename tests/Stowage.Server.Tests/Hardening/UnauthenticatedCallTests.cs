using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Jobs;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.Protocol;

namespace Stowage.Server.Tests.Hardening;

/// <summary>
/// Issue 15 item 2: an async call from a caller who is not logged in gets no job and no web hook; a logged-in
/// caller whose calls keep failing leaves a bounded number of job rows.
/// </summary>
public sealed class UnauthenticatedCallTests
{
    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task A_bad_session_gets_503_at_once_no_job_row_and_no_web_hook(Db db)
    {
        using var hook = new JobTests.HookReceiver();
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        var session = await client.LoginAsync();
        var headers = new Dictionary<string, string> { ["X-Web-Hook"] = hook.Url };
        var body = new JsonObject { ["params"] = new JsonObject { ["name"] = "z" } };

        // A random session, one that was logged out, and a session header of the wrong form.
        client.Session = Guid.NewGuid().ToString("N");
        Wire.AssertError(await client.SendAsync(HttpMethod.Post, "/zones", body, headers: headers), HttpStatusCode.ServiceUnavailable, "ID.1001");
        using (var other = host.Client())
        {
            var old = await other.LoginAsync();
            Assert.Equal(HttpStatusCode.OK, (await other.SendAsync(HttpMethod.Delete, $"/accounts/sessions/{old}", auth: false)).Status);
            client.Session = old;
            Wire.AssertError(await client.SendAsync(HttpMethod.Post, "/zones", body, headers: headers), HttpStatusCode.ServiceUnavailable, "ID.1001");
        }

        client.Session = "not a session";
        Wire.AssertError(await client.SendAsync(HttpMethod.Post, "/zones", body, headers: headers), HttpStatusCode.ServiceUnavailable, "ID.1001");
        client.Session = null;
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(HttpMethod.Post, "/zones", body, headers: headers)).Status);
        await using (var ctx = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext())
        {
            Assert.Equal(0, await ctx.ApiJobs.CountAsync());
        }

        // The hook sender posts in order: the first hook to arrive is the logged-in caller's.
        client.Session = session;
        var job = Guid.NewGuid().ToString("N");
        Assert.Equal(HttpStatusCode.Accepted, (await client.SendAsync(HttpMethod.Post, "/zones", body, jobUuid: job, headers: headers)).Status);
        Assert.Equal(job, (await hook.NextAsync()).JobUuid);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task A_logged_in_caller_whose_calls_fail_leaves_a_bounded_number_of_job_rows(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var bad = new JsonObject { ["params"] = new JsonObject { ["name"] = " leading space" } };
        ApiResponse last = null!;
        for (var i = 0; i < JobStore.MaxFailedPerSession + 20; i++)
        {
            last = await client.SendAsync(HttpMethod.Post, "/zones", bad);
            Assert.Equal(HttpStatusCode.Accepted, last.Status);
        }

        Wire.AssertError(await client.PollAsync(last), HttpStatusCode.ServiceUnavailable, "SYS.1007");
        await using var ctx = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        Assert.InRange(await ctx.ApiJobs.CountAsync(), 1, JobStore.MaxFailedPerSession);
    }
}
