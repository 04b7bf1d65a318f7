using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Monitoring;

/// <summary>
/// Issue 19 item 4: a real Prometheus (Debian's, installed by scripts/test.sh) scrapes a test server on loopback and
/// answers PromQL for a backup storage's available bytes and ping latency; promtool lints the exposition.
/// </summary>
public sealed class PrometheusTests
{
    [Fact]
    public async Task A_real_Prometheus_scrapes_the_server_and_answers_available_bytes_and_ping_latency()
    {
        await using var host = await StowageHost.StartAsync(extraArgs: ["--default-backup-storage", "images"]);
        using var client = host.Client();
        await client.LoginAsync();
        Assert.Equal(HttpStatusCode.OK, (await client.UpdateGlobalConfigAsync("backupStorage", "ping.interval", "1")).Status);
        var bs = Assert.Single(ZStackClient.Inventories(await client.QueryAsync("/backup-storage", "q=name=default")))!["uuid"]!.GetValue<string>();

        // A scrape from loopback needs no session; promtool's lint passes on it.
        using var http = new HttpClient { BaseAddress = host.BaseAddress };
        var text = await WaitForAsync(async () =>
        {
            var t = await http.GetStringAsync("/metrics");
            return t.Contains($"stowage_backup_storage_ping_duration_seconds_count{{uuid=\"{bs}\"}}", StringComparison.Ordinal) ? t : null;
        });
        Assert.Contains($"stowage_backup_storage_available_bytes{{uuid=\"{bs}\",name=\"default\",type=\"FileSystemBackupStorage\"}}", text, StringComparison.Ordinal);
        Assert.Contains($"stowage_backup_storage_status{{uuid=\"{bs}\",name=\"default\",type=\"FileSystemBackupStorage\",status=\"Connected\"}} 1", text, StringComparison.Ordinal);
        Assert.Contains("stowage_api_requests_total{api=\"QueryBackupStorage\",code=\"200\"}", text, StringComparison.Ordinal);
        // Bytes in (an http source) and out (an export download) are counted by direction and data path, jobs by outcome.
        await using (var source = await Stowage.Server.Tests.Images.HttpSource.StartAsync())
        {
            var content = Stowage.Server.Tests.Images.ImageKit.Qcow2();
            var image = (await Stowage.Server.Tests.Images.ImageKit.AddOkAsync(client, source.Add("m.qcow2", content), [bs], "m"))["uuid"]!.GetValue<string>();
            var export = await Stowage.Server.Tests.BackupStorage.BsKit.ActionAsync(client, $"/backup-storage/{bs}/actions", "exportImageFromBackupStorage", new JsonObject { ["imageUuid"] = image });
            Assert.Equal(content, await http.GetByteArrayAsync(export.Json!["imageUrl"]!.GetValue<string>()));
            var counted = await WaitForAsync(async () =>
            {
                var t = await http.GetStringAsync("/metrics");
                return t.Contains($"stowage_transfer_bytes_total{{direction=\"out\",path=\"export\"}} {content.Length}", StringComparison.Ordinal) ? t : null;
            });
            Assert.Contains($"stowage_transfer_bytes_total{{direction=\"in\",path=\"http\"}} {content.Length}", counted, StringComparison.Ordinal);
            Assert.Contains("stowage_transfer_duration_seconds_count{direction=\"in\",path=\"http\",outcome=\"succeeded\"} 1", counted, StringComparison.Ordinal);
            Assert.Contains("stowage_jobs_total{api=\"AddImage\",outcome=\"Succeeded\"} 1", counted, StringComparison.Ordinal);
            text = counted;
        }

        var (code, output) = await PromtoolCheckAsync(text);
        Assert.True(code == 0, $"promtool check metrics: {output}");

        await using var prometheus = await PrometheusServer.StartAsync(host.BaseAddress);
        var available = await WaitForAsync(() => prometheus.QueryScalarAsync($"stowage_backup_storage_available_bytes{{uuid=\"{bs}\"}}"));
        var inventory = await Stowage.Server.Tests.BackupStorage.BsKit.GetAsync(client, bs);
        Assert.True(available > 0, $"available {available}");

        // The FileSystem's free space moves with the other tests' files; the scraped value is the one the API shows, give or take that.
        Assert.InRange(available, inventory["availableCapacity"]!.GetValue<long>() - (1L << 30), inventory["availableCapacity"]!.GetValue<long>() + (1L << 30));
        var latency = await WaitForAsync(() => prometheus.QueryScalarAsync(
            $"stowage_backup_storage_ping_duration_seconds_sum{{uuid=\"{bs}\"}} / stowage_backup_storage_ping_duration_seconds_count{{uuid=\"{bs}\"}}"));
        Assert.InRange(latency, 0, 30);

        // Every query of the Grafana dashboard under docs/ is valid PromQL on this Prometheus and names only metrics the server exports.
        var dashboard = JsonNode.Parse(await File.ReadAllTextAsync(Path.Combine(RepoRoot(), "docs", "grafana-dashboard.json")))!;
        foreach (var expr in dashboard["panels"]!.AsArray().SelectMany(p => p!["targets"]!.AsArray()).Select(t => t!["expr"]!.GetValue<string>()))
        {
            var query = expr.Replace("$storage", ".*", StringComparison.Ordinal);
            Assert.Null(await prometheus.QueryErrorAsync(query));
            foreach (var name in System.Text.RegularExpressions.Regex.Matches(query, @"\bstowage_[a-z_]+").Select(m => m.Value))
            {
                var family = System.Text.RegularExpressions.Regex.Replace(name, "_(bucket|sum|count)$", string.Empty);
                Assert.True(text.Contains("# TYPE " + family + " ", StringComparison.Ordinal), $"{name} of the dashboard is not exported");
            }
        }
    }

    private static string RepoRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "docs", "grafana-dashboard.json")))
        {
            dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("docs/grafana-dashboard.json not found above the test directory");
        }

        return dir;
    }

    /// <summary>Runs <c>promtool check metrics</c> on <paramref name="text"/> (its standard input); exit code and output.</summary>
    public static async Task<(int Code, string Output)> PromtoolCheckAsync(string text)
    {
        var psi = new ProcessStartInfo("promtool") { UseShellExecute = false, RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add("check");
        psi.ArgumentList.Add("metrics");
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.StandardInput.WriteAsync(text);
        p.StandardInput.Close();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout + await stderr);
    }

    private static async Task<T> WaitForAsync<T>(Func<Task<T?>> probe)
    {
        var sw = Stopwatch.StartNew();
        while (true)
        {
            if (await probe() is { } value)
            {
                return value;
            }

            Assert.True(sw.Elapsed < TimeSpan.FromSeconds(60), "gave up after 60 s");
            await Task.Delay(200);
        }
    }

    private static async Task<double> WaitForAsync(Func<Task<double?>> probe) =>
        (await WaitForAsync<object>(async () => await probe() is { } v ? v : null) as double?)!.Value;
}

/// <summary>A throw-away Prometheus on a free loopback port that scrapes one target every second.</summary>
public sealed class PrometheusServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly string _dir;
    private readonly HttpClient _http;

    private PrometheusServer(Process process, string dir, int port)
    {
        (_process, _dir) = (process, dir);
        _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
    }

    public static async Task<PrometheusServer> StartAsync(Uri target)
    {
        var dir = Directory.CreateTempSubdirectory("stowage-prometheus-").FullName;
        var port = SshdFixture.FreePort();
        await File.WriteAllTextAsync(Path.Combine(dir, "prometheus.yml"), $"""
            global:
              scrape_interval: 1s
              scrape_timeout: 1s
            scrape_configs:
              - job_name: stowage
                metrics_path: /metrics
                static_configs:
                  - targets: ["{target.Authority}"]
            """);
        var psi = new ProcessStartInfo("prometheus") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { $"--config.file={dir}/prometheus.yml", $"--storage.tsdb.path={dir}/data", $"--web.listen-address=127.0.0.1:{port}" })
        {
            psi.ArgumentList.Add(a);
        }

        var process = Process.Start(psi)!;
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        var server = new PrometheusServer(process, dir, port);
        var sw = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                if ((await server._http.GetAsync("/-/ready")).IsSuccessStatusCode)
                {
                    return server;
                }
            }
            catch (HttpRequestException) when (!process.HasExited && sw.Elapsed < TimeSpan.FromSeconds(60))
            {
            }

            if (process.HasExited || sw.Elapsed > TimeSpan.FromSeconds(60))
            {
                await server.DisposeAsync();
                throw new InvalidOperationException("prometheus did not become ready");
            }

            await Task.Delay(100);
        }
    }

    /// <summary>The value of an instant query that yields one sample, or null while it yields none.</summary>
    public async Task<double?> QueryScalarAsync(string promql)
    {
        var json = JsonNode.Parse(await _http.GetStringAsync("/api/v1/query?query=" + Uri.EscapeDataString(promql)))!;
        Assert.Equal("success", json["status"]!.GetValue<string>());
        var result = json["data"]!["result"]!.AsArray();
        if (result.Count == 0)
        {
            return null;
        }

        var text = Assert.Single(result)!["value"]![1]!.GetValue<string>();
        var value = double.Parse(text, CultureInfo.InvariantCulture);
        return double.IsNaN(value) ? null : value;
    }

    /// <summary>Null when Prometheus accepts the query, else its error.</summary>
    public async Task<string?> QueryErrorAsync(string promql)
    {
        using var response = await _http.GetAsync("/api/v1/query?query=" + Uri.EscapeDataString(promql));
        var json = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
        return json["status"]!.GetValue<string>() == "success" ? null : $"{promql}: {json["error"]}";
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        _http.Dispose();
        Directory.Delete(_dir, recursive: true);
    }
}
