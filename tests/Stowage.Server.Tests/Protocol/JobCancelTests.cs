using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Server.Tests.Protocol;

/// <summary>CancelLongJob on jobs without transfers: a running job's token is cancelled, a waiting job ends at once.</summary>
public sealed class JobCancelTests
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_running_job_and_a_waiting_job_end_cancelled_and_the_job_ahead_still_completes()
    {
        var (host, feature) = await TestApiFeature.StartAsync();
        await using var _h = host;
        using var client = host.Client();
        await client.LoginAsync();

        var ahead = await client.SendAsync(HttpMethod.Post, "/test/serial", jobUuid: "a".PadLeft(32, '0'));
        await feature.Started.Task.WaitAsync(Patience);
        var waiting = await client.SendAsync(HttpMethod.Post, "/test/serial", jobUuid: "b".PadLeft(32, '0'));
        Wire.AssertOk(await Cancel(client, "b".PadLeft(32, '0')));
        var canceled = await client.PollAsync(waiting, Patience);
        Wire.AssertError(canceled, HttpStatusCode.ServiceUnavailable, "SYS.1006");
        Assert.Contains("cancelled by the user", canceled.Body, StringComparison.Ordinal);
        var progress = ZStackClient.Inventories(await client.SendAsync(HttpMethod.Get, "/task-progresses/" + "b".PadLeft(32, '0')));
        Assert.Equal("Task", progress.Single()!["type"]!.GetValue<string>());
        Assert.Equal("Canceled", progress.Single()!["content"]!.GetValue<string>());

        Wire.AssertOk(await Cancel(client, "a".PadLeft(32, '0')));
        var stopped = await client.PollAsync(ahead, Patience);
        Wire.AssertError(stopped, HttpStatusCode.ServiceUnavailable, "SYS.1006");
        Assert.Contains("TestSerial", stopped.Json!["error"]!["details"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Equal(1, feature.StartedCount);

        // The serial queue is free again: the next job runs and completes.
        feature.Gate.SetResult();
        var next = await client.PollAsync(await client.SendAsync(HttpMethod.Post, "/test/serial"), Patience);
        Assert.Equal(HttpStatusCode.OK, next.Status);
    }

    [Fact]
    public async Task Only_a_session_may_cancel_and_the_cancel_api_is_in_the_catalogue()
    {
        var (host, _) = await TestApiFeature.StartAsync();
        await using var _h = host;
        using var client = host.Client();
        await client.LoginAsync();
        var anonymous = await client.SendAsync(HttpMethod.Put, $"/api-jobs/{Guid.NewGuid():N}/actions", new JsonObject { ["cancelLongJob"] = new JsonObject() }, auth: false);
        Assert.Equal(HttpStatusCode.BadRequest, anonymous.Status);
        var apis = await client.Http.GetStringAsync("/zstack/v1/openapi.json");
        Assert.Contains("/api-jobs/{uuid}/actions", apis, StringComparison.Ordinal);
        Assert.Contains("/task-progresses/{apiId}", apis, StringComparison.Ordinal);
    }

    private static Task<ApiResponse> Cancel(ZStackClient client, string job) =>
        client.SendAsync(HttpMethod.Put, $"/api-jobs/{job}/actions", new JsonObject { ["cancelLongJob"] = new JsonObject() });
}
