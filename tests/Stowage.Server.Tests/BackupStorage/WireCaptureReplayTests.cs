using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.BackupStorage;

/// <summary>
/// Replays every backup-storage request ZStack's Java SDK sent (the capture file), with its headers and
/// bodies, against Stowage and a real sshd; placeholders become the real host, zone and backup storage.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class WireCaptureReplayTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Fact]
    public async Task Every_backup_storage_request_of_the_capture_succeeds()
    {
        await using var host = await StowageHost.StartAsync();
        using var client = host.Client();
        await client.LoginAsync();
        var zone = await client.CreateZoneAsync("zone1");
        var url = sshd.NewPath();
        string? bs = null;
        var replayed = 0;
        foreach (var line in File.ReadLines(Path.Combine(AppContext.BaseDirectory, "Fixtures", "zstack-java-sdk-wire-capture.jsonl")))
        {
            var rec = JsonNode.Parse(line)!;
            var path = rec["path"]!.GetValue<string>();
            if (!path.Contains("backup-storage", StringComparison.Ordinal) || path.Contains("api-jobs", StringComparison.Ordinal))
            {
                continue;
            }

            var raw = rec["raw"]!.GetValue<string>()["/zstack/v1".Length..]
                .Replace(new string('z', 32), zone, StringComparison.Ordinal)
                .Replace(new string('b', 32), bs ?? new string('b', 32), StringComparison.Ordinal);
            var body = rec["body"] is JsonObject b ? Substitute(b.ToJsonString(), url) : null;
            var failMe = body?.Contains("\"fail-me\"", StringComparison.Ordinal) == true;
            var method = new HttpMethod(rec["m"]!.GetValue<string>());
            var r = await client.PollAsync(await client.SendAsync(method, raw, rawBody: body));
            replayed++;
            if (failMe)
            {
                Assert.Equal("SYS.1002", r.ErrorCode);
                continue;
            }

            Assert.True(r.Status == HttpStatusCode.OK, $"{method} {raw}: {r}");
            if (bs is null && method == HttpMethod.Post && raw == "/backup-storage/sftp")
            {
                bs = BsKit.Uuid(r);
                Assert.Equal("Connected", r.Json!["inventory"]!["status"]!.GetValue<string>());
            }
        }

        Assert.True(replayed >= 14, $"only {replayed} requests replayed");
        Assert.Equal(0, await BsKit.CountAsync(client));
    }

    private string Substitute(string json, string url) => json
        .Replace("\"hostname\":\"127.0.0.1\"", $"\"hostname\":\"{sshd.Host}\"", StringComparison.Ordinal)
        .Replace("\"sshPort\":22,", $"\"sshPort\":{sshd.Port},", StringComparison.Ordinal)
        .Replace("\"sshPort\":2222", $"\"sshPort\":{sshd.Port}", StringComparison.Ordinal)
        .Replace("\"password\":\"pw\"", $"\"password\":\"{sshd.Password}\"", StringComparison.Ordinal)
        .Replace("\"username\":\"root\"", $"\"username\":\"{sshd.User}\"", StringComparison.Ordinal)
        .Replace("\"url\":\"/bs\"", $"\"url\":\"{url}\"", StringComparison.Ordinal);
}
