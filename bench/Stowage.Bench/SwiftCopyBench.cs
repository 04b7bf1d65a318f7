using System.Diagnostics;
using System.Net;
using System.Text.Json.Nodes;

namespace Stowage.Bench;

/// <summary>
/// Issue 17 item 6: CopyImageToBackupStorage between two SwiftBackupStorages on one container (different prefixes),
/// made by the store itself (X-Copy-From per segment, proven by the store's md5s) against the same copy streamed
/// through Stowage (<c>image/copy.mode=Stream</c>: read, hashed and written again), each to a fresh prefix.
/// </summary>
public static class SwiftCopyBench
{
    public static async Task RunAsync(Report report, ZStackHttp client, int serverPid, int port, string container, string url, int repeat, Func<double, string> rate, CancellationToken ct)
    {
        var source = await AddStorageAsync(client, port, container + "/copy-source", "copy-source", ct);
        var image = await ImageBench.AddImageAsync(client, url, source, "copy-bench", ct);
        var imageUuid = image["uuid"]!.GetValue<string>();
        var times = new Dictionary<string, List<(double Seconds, double Cpu)>> { ["Auto"] = [], ["Stream"] = [] };
        for (var i = 0; i < repeat; i++)
        {
            foreach (var mode in times.Keys)
            {
                await ImageBench.SetConfigAsync(client, "image", "copy.mode", mode, ct);
                var destination = await AddStorageAsync(client, port, $"{container}/copy-{mode.ToLowerInvariant()}-{i}", $"copy-{mode}-{i}", ct);
                var body = new JsonObject { ["copyImageToBackupStorage"] = new JsonObject { ["dstBackupStorageUuid"] = destination } };
                var cpu = ProcFs.CpuSeconds(serverPid);
                var clock = Stopwatch.StartNew();
                var (status, text) = await client.CallAsync(HttpMethod.Put, $"zstack/v1/images/{imageUuid}/actions", body.ToJsonString(), ct);
                clock.Stop();
                if (status != HttpStatusCode.OK)
                {
                    throw new InvalidOperationException($"CopyImageToBackupStorage ({mode}) failed: {(int)status} {text}");
                }

                times[mode].Add((clock.Elapsed.TotalSeconds, ProcFs.CpuSeconds(serverPid) - cpu));
            }
        }

        await ImageBench.SetConfigAsync(client, "image", "copy.mode", "Auto", ct);
        await client.CallAsync(HttpMethod.Delete, $"zstack/v1/images/{imageUuid}", null, ct);
        var inStore = times["Auto"].MinBy(t => t.Seconds);
        var streamed = times["Stream"].MinBy(t => t.Seconds);
        report.Add("CopyImageToBackupStorage within one container, made by the store (X-Copy-From per segment)", $"{rate(inStore.Seconds)}, server cpu {inStore.Cpu:F1} s", null);
        report.Add("the same copy streamed through Stowage (image/copy.mode=Stream)", $"{rate(streamed.Seconds)}, server cpu {streamed.Cpu:F1} s", null);
        report.Add("  speed-up of the copy made by the store", $"{streamed.Seconds / inStore.Seconds:F1} x", null);
    }

    private static async Task<string> AddStorageAsync(ZStackHttp client, int port, string url, string name, CancellationToken ct)
    {
        var body = new JsonObject
        {
            ["params"] = new JsonObject
            {
                ["name"] = name, ["url"] = url, ["authUrl"] = $"http://127.0.0.1:{port}/auth/v1.0",
                ["username"] = "test:tester", ["password"] = "testing", ["totalCapacity"] = 64L << 30,
            },
        };
        var (status, text) = await client.CallAsync(HttpMethod.Post, "zstack/v1/backup-storage/swift", body.ToJsonString(), ct);
        return status == HttpStatusCode.OK
            ? JsonNode.Parse(text)!["inventory"]!["uuid"]!.GetValue<string>()
            : throw new InvalidOperationException($"AddSwiftBackupStorage failed: {(int)status} {text}");
    }
}
