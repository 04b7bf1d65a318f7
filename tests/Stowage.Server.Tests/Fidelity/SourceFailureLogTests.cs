using System.Net;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.Fidelity;

/// <summary>Issue 14 item 9: expected source failures (404, refused, cut) are one log line each, not stack traces.</summary>
[Collection(StorageCollection.Name)]
public sealed class SourceFailureLogTests(StorageWorld world)
{
    [Fact]
    public async Task A_missing_refused_or_cut_source_is_logged_in_one_line_without_a_stack_trace()
    {
        var logs = new LogCapture();
        await using var host = await StowageHost.StartAsync(configure: logs.Install);
        using var client = host.Client();
        await client.LoginAsync();
        var storage = world[FileSystemStorageFixture.TypeName];
        var bs = await storage.AddOkAsync(client, storage.NewLocation());
        await using var source = await HttpSource.StartAsync();
        source.Add("cut.raw", ImageKit.RandomBytes(3_000_000));
        var urls = new[] { source.Url("f", "missing.raw"), "http://127.0.0.1:1/refused.raw", source.Url("drop", "cut.raw") };
        foreach (var url in urls)
        {
            var r = await ImageKit.AddAsync(client, url, [bs], "bad");
            Assert.True(r.Status == HttpStatusCode.ServiceUnavailable, r.ToString());
        }

        var lines = logs.Text.Split('\n');
        foreach (var url in urls)
        {
            Assert.Single(lines, l => l.Contains($"failed to download image[url: {url}]", StringComparison.Ordinal) && l.Contains("Warning", StringComparison.Ordinal));
        }

        // A logged exception object shows as its type name followed by its stack frames on the next lines.
        var traces = lines.Where(l => l.TrimStart().StartsWith("at ", StringComparison.Ordinal) || l.TrimStart().StartsWith("---", StringComparison.Ordinal)
            || System.Text.RegularExpressions.Regex.IsMatch(l, @"\bSystem\.[A-Za-z.]+Exception\b")).ToList();
        Assert.True(traces.Count == 0, string.Join("\n", traces));
    }
}
