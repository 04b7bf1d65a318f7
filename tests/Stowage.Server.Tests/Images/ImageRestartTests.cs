using System.Diagnostics;
using System.Net;
using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Images;

/// <summary>
/// The management server dies (SIGKILL, a separate process, so nothing cleans up) while a slow source
/// trickles an image to the host; a new server on the same data directory settles what was left.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class ImageRestartTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Fact]
    public async Task A_download_cut_by_a_crash_fails_its_job_removes_the_image_and_the_first_sweep_removes_its_file()
    {
        await using var source = await HttpSource.StartAsync();
        var dataDir = Directory.CreateTempSubdirectory("stowage-crash-").FullName;
        var url = sshd.NewPath();
        source.Add("slow.raw", ImageKit.RandomBytes(20 << 20));
        ApiResponse accepted;
        string bs;
        using (var server = await ServerProcess.StartAsync(dataDir))
        {
            using var client = new ZStackClient(server.BaseAddress, "/zstack/v1");
            await client.LoginAsync();
            bs = await BsKit.AddOkAsync(client, sshd, url);
            await ImageKit.SetConfigAsync(client, "image", "sweep.interval", "2");
            accepted = await client.SendAsync(HttpMethod.Post, "/images", ImageKit.AddBody(source.Url("slow", "slow.raw"), [bs], "cut"));
            Assert.Equal(HttpStatusCode.Accepted, accepted.Status);
            await ImageKit.WaitForAsync(() => Parts(url).Any(p => new FileInfo(p).Length > 0), TimeSpan.FromSeconds(30));
            server.Crash();
        }

        // The crashed server's SSH session closed, so the host-pull watchdog stops curl and its EXIT trap
        // removes the temporary file by itself; what is left (rows, reservations, a file when a host gets no
        // such signal) is the new server's job, checked below.
        ImageKit.NoProcessFor(sshd.User, url);
        await using var host = await StowageHost.StartAsync(dataDir: dataDir);
        using var c2 = host.Client();
        await c2.LoginAsync();

        var job = await c2.PollAsync(accepted);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, job.Status);
        Assert.Contains("restarted", job.Body, StringComparison.Ordinal);
        Assert.Empty(await ImageKit.QueryAsync(c2));
        await using (var db = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext())
        {
            Assert.Equal(0, await db.ImageBackupStorageRefs.CountAsync());
        }

        await ImageKit.WaitForAsync(() => Parts(url).Count == 0, TimeSpan.FromSeconds(60));
        Assert.Empty(ImageKit.Files(url));
        // The new server connects the backup storage at boot (in the background) and sweeps it after that.
        var deadline = DateTime.UtcNow.AddSeconds(30);
        string status;
        while ((status = (await BsKit.GetAsync(c2, bs))["status"]!.GetValue<string>()) != "Connected")
        {
            Assert.True(DateTime.UtcNow < deadline, $"backup storage still {status} 30 s after the restart");
            await Task.Delay(100);
        }
        await source.DisposeAsync();
        ImageKit.NoTransferProcess(sshd);
    }

    private static List<string> Parts(string url) =>
        Directory.Exists(url) ? [.. Directory.EnumerateFiles(url, "*.stowage-part", SearchOption.AllDirectories)] : [];

    /// <summary>Stowage.Server.dll from the test's output directory, run as its own process so it can be killed.</summary>
    private sealed class ServerProcess : IDisposable
    {
        private readonly Process _process;

        private ServerProcess(Process process, Uri baseAddress)
        {
            _process = process;
            BaseAddress = baseAddress;
        }

        public Uri BaseAddress { get; }

        public static async Task<ServerProcess> StartAsync(string dataDir)
        {
            var port = SshdFixture.FreePort();
            var dll = Path.Combine(AppContext.BaseDirectory, "Stowage.Server.dll");
            var psi = new ProcessStartInfo("dotnet", [dll, "--urls", $"http://127.0.0.1:{port}", "--data-dir", dataDir])
            {
                UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = AppContext.BaseDirectory,
            };
            var process = Process.Start(psi)!;
            process.OutputDataReceived += (_, _) => { };
            process.ErrorDataReceived += (_, _) => { };
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            var server = new ServerProcess(process, new Uri($"http://127.0.0.1:{port}"));
            using var http = new HttpClient { BaseAddress = server.BaseAddress };
            var deadline = DateTime.UtcNow.AddSeconds(60);
            while (true)
            {
                Assert.False(process.HasExited, "the server process exited at start");
                try
                {
                    using var r = await http.GetAsync("/zstack/v1/openapi.json");
                    if (r.IsSuccessStatusCode)
                    {
                        return server;
                    }
                }
                catch (HttpRequestException)
                {
                }

                Assert.True(DateTime.UtcNow < deadline, "the server process did not start");
                await Task.Delay(200);
            }
        }

        /// <summary>SIGKILL: no shutdown code runs, as in a power cut or an OOM kill.</summary>
        public void Crash()
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit();
        }

        public void Dispose()
        {
            if (!_process.HasExited)
            {
                Crash();
            }

            _process.Dispose();
        }
    }
}
