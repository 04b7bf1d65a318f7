using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Sftp.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.Fidelity;

/// <summary>Issue 14 item 1: the long-job family in the request shapes of ZStack's Java SDK (SubmitLongJobAction, CancelLongJobAction, ...).</summary>
[Collection(StorageCollection.Name)]
public sealed class LongJobTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task A_direct_AddImage_is_a_long_job_found_and_cancelled_through_longjobs(Db db)
    {
        await using var source = await HttpSource.StartAsync();
        source.SlowChunk = 16 * 1024;
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        var bs = await BsKit.AddOkAsync(client, sshd, url, "one");
        source.Add("big.raw", ImageKit.RandomBytes(4_000_000));
        var job = Guid.NewGuid().ToString("N");
        var accepted = await client.SendAsync(HttpMethod.Post, "/images", ImageKit.AddBody(source.Url("slow", "big.raw"), [bs]), jobUuid: job);
        Assert.Equal(HttpStatusCode.Accepted, accepted.Status);

        var running = await LongJobAsync(client, job);
        Assert.Equal("APIAddImageMsg", running["jobName"]!.GetValue<string>());
        Assert.Equal(job, running["apiId"]!.GetValue<string>());
        Assert.Equal("Running", running["state"]!.GetValue<string>());
        Assert.Equal("img", JsonNode.Parse(running["jobData"]!.GetValue<string>())!["name"]!.GetValue<string>());

        // CancelLongJobAction: PUT /longjobs/{uuid}/actions {"cancelLongJob":{}}, then it polls the job it gets back.
        var cancel = await client.CallAsync(HttpMethod.Put, $"/longjobs/{job}/actions", new JsonObject { ["cancelLongJob"] = new JsonObject() });
        Assert.True(cancel.Status == HttpStatusCode.OK, cancel.ToString());
        var outcome = await client.PollAsync(accepted);
        Assert.Equal("SYS.1006", outcome.ErrorCode);
        var canceled = await LongJobAsync(client, job);
        Assert.Equal("Canceled", canceled["state"]!.GetValue<string>());
        Assert.Contains("cancelled by the user", canceled["jobResult"]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Empty(ImageKit.Files(url));
        Assert.Empty(await ImageKit.QueryAsync(client));

        var again = await client.CallAsync(HttpMethod.Put, $"/longjobs/{job}/actions", new JsonObject { ["cancelLongJob"] = new JsonObject() });
        Assert.Equal("SYS.1006", again.ErrorCode);
        Assert.Equal("SYS.1003", (await client.CallAsync(HttpMethod.Put, $"/longjobs/{Guid.NewGuid():N}/actions", new JsonObject { ["cancelLongJob"] = new JsonObject() })).ErrorCode);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task SubmitLongJob_runs_AddImage_from_jobData_and_the_record_can_be_updated_queried_and_deleted(Db db)
    {
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var url = sshd.NewPath();
        var bs = await BsKit.AddOkAsync(client, sshd, url, "one");
        var file = source.Add("s.raw", ImageKit.RandomBytes(1_500_000));
        var jobData = new JsonObject
        {
            ["name"] = "submitted", ["url"] = file, ["format"] = "raw", ["mediaType"] = "RootVolumeTemplate",
            ["backupStorageUuids"] = new JsonArray(bs), ["systemTags"] = new JsonArray("submitted::tag"),
        };

        // SubmitLongJobAction: POST /longjobs {"params": {name, description, jobName, jobData (a JSON string), targetResourceUuid}}.
        var submit = await client.CallAsync(HttpMethod.Post, "/longjobs", new JsonObject
        {
            ["params"] = new JsonObject { ["name"] = "lj", ["description"] = "from the SDK", ["jobName"] = "APIAddImageMsg", ["jobData"] = jobData.ToJsonString() },
        });
        Assert.True(submit.Status == HttpStatusCode.OK, submit.ToString());
        Assert.Equal("org.zstack.header.longjob.LongJobInventory", submit.Json!["schema"]!["inventory"]!.GetValue<string>());
        var uuid = submit.Json!["inventory"]!["uuid"]!.GetValue<string>();
        Assert.NotEqual(uuid, submit.Json!["inventory"]!["apiId"]!.GetValue<string>());

        JsonNode done = await LongJobAsync(client, uuid);
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (done["state"]!.GetValue<string>() == "Running" && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
            done = await LongJobAsync(client, uuid);
        }

        Assert.Equal("Succeeded", done["state"]!.GetValue<string>());
        var result = JsonNode.Parse(done["jobResult"]!.GetValue<string>())!;
        Assert.Equal("submitted", result["inventory"]!["name"]!.GetValue<string>());
        Assert.Single(ImageKit.Files(url));
        var tags = await client.QueryAsync("/system-tags", $"q=resourceUuid={result["inventory"]!["uuid"]!.GetValue<string>()}");
        Assert.Contains(ZStackClient.Inventories(tags), t => t!["tag"]!.GetValue<string>() == "submitted::tag");

        // The job itself can also be polled by the long job's uuid.
        Assert.Equal(HttpStatusCode.OK, (await client.PollAsync(new ApiResponse(HttpStatusCode.Accepted, $"{{\"location\":\"{host.BaseAddress}zstack/v1/api-jobs/{uuid}\"}}"))).Status);

        var updated = await client.CallAsync(HttpMethod.Put, $"/longjobs/{uuid}/actions", new JsonObject { ["updateLongJob"] = new JsonObject { ["name"] = "renamed" } });
        Assert.Equal("renamed", updated.Json!["inventory"]!["name"]!.GetValue<string>());
        var byName = ZStackClient.Inventories(await client.QueryAsync("/longjobs", "q=name=renamed", "q=state=Succeeded", "q=jobName=APIAddImageMsg"));
        Assert.Equal(uuid, byName.Single()!["uuid"]!.GetValue<string>());

        Assert.Equal(HttpStatusCode.OK, (await client.CallAsync(HttpMethod.Delete, $"/longjobs/{uuid}")).Status);
        Assert.Empty(ZStackClient.Inventories(await client.QueryAsync("/longjobs", $"q=uuid={uuid}")));
        Assert.Equal(HttpStatusCode.OK, (await client.CallAsync(HttpMethod.Delete, $"/longjobs/{uuid}")).Status);

        // Bad submits are argument errors: an API that is not a long job, and jobData that is not a JSON object.
        var notLong = await client.CallAsync(HttpMethod.Post, "/longjobs", new JsonObject { ["params"] = new JsonObject { ["jobName"] = "APICreateZoneMsg", ["jobData"] = "{}" } });
        Assert.Equal("SYS.1007", notLong.ErrorCode);
        var notJson = await client.CallAsync(HttpMethod.Post, "/longjobs", new JsonObject { ["params"] = new JsonObject { ["jobName"] = "APIAddImageMsg", ["jobData"] = "[1" } });
        Assert.Equal("SYS.1007", notJson.ErrorCode);
        var missing = await client.CallAsync(HttpMethod.Post, "/longjobs", new JsonObject
        {
            ["params"] = new JsonObject { ["jobName"] = "APIAddImageMsg", ["jobData"] = new JsonObject { ["url"] = file, ["backupStorageUuids"] = new JsonArray(bs) }.ToJsonString() },
        });
        Assert.Equal("SYS.1007", missing.ErrorCode);
    }

    [Fact]
    public async Task A_long_job_never_shows_a_password_given_in_its_url()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var bs = Guid.NewGuid().ToString("N");
        var job = Guid.NewGuid().ToString("N");

        // The add fails (no such backup storage) before it runs, so no long job; a submit with a real target records one.
        var data = new JsonObject { ["name"] = "x", ["url"] = "sftp://user:s3cret@127.0.0.1/x.raw", ["backupStorageUuids"] = new JsonArray(bs) };
        var r = await client.CallAsync(HttpMethod.Post, "/longjobs", new JsonObject { ["params"] = new JsonObject { ["jobName"] = "APIAddImageMsg", ["jobData"] = data.ToJsonString() } }, jobUuid: job);
        Assert.Equal("SYS.1003", r.ErrorCode);
        Assert.DoesNotContain("s3cret", (await client.QueryAsync("/longjobs")).Body, StringComparison.Ordinal);
        Assert.Equal("sftp://user@127.0.0.1/x.raw", Stowage.Server.Features.LongJobs.LongJobRecords.Redact(
            Stowage.Server.Features.Images.AddImage.Api, System.Text.Json.JsonSerializer.SerializeToElement(data), new Dictionary<string, string>())
            is var text ? JsonNode.Parse(text)!["url"]!.GetValue<string>() : null);
    }

    private static async Task<JsonNode> LongJobAsync(ZStackClient client, string uuid)
    {
        var r = await client.QueryAsync("/longjobs/" + uuid);
        Assert.True(r.Status == HttpStatusCode.OK, r.ToString());
        Assert.Equal("org.zstack.header.longjob.LongJobInventory", r.Json!["schema"]!["inventories[0]"]!.GetValue<string>());
        return ZStackClient.Inventories(r).Single()!;
    }
}
