using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;
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

    /// <summary>
    /// An object store keeps a resumable upload in the store itself (segments plus a state object with the digests so
    /// far), so a server killed under a PUT leaves an upload that a restarted server continues at the last recorded byte.
    /// </summary>
    [Theory]
    [MemberData(nameof(StorageWorld.ObjectStoreTypes), MemberType = typeof(StorageWorld))]
    public async Task An_upload_cut_by_a_crash_resumes_on_the_restarted_server_from_what_the_store_holds(string type)
    {
        var storage = world[type];
        var dataDir = Directory.CreateTempSubdirectory("stowage-upload-crash-").FullName;
        var loc = storage.NewLocation();
        var content = ImageKit.RandomBytes(18 << 20);
        const int FirstPiece = 17 << 20;
        string bs;
        string uploadPath;
        using var http = new HttpClient();
        using (var server = await ServerProcess.StartAsync(dataDir))
        {
            using var client = new ZStackClient(server.BaseAddress, "/zstack/v1");
            await client.LoginAsync();
            bs = await storage.AddOkAsync(client, loc);
            var added = await ImageKit.AddAsync(client, "upload://disk.raw", [bs], systemTags: ["checksum::sha256::" + ImageKit.Sha256(content)]);
            var uploadUrl = new Uri(added.Json!["inventory"]!["backupStorageRefs"]![0]!["uploadUrl"]!.GetValue<string>());
            uploadPath = uploadUrl.PathAndQuery;

            // One 16 MiB segment and 1 MiB of tail are stored; the next piece is under way when the server dies.
            using (var first = await http.PutAsync(uploadUrl, Piece(content, 0, FirstPiece)))
            {
                Assert.Equal(HttpStatusCode.PermanentRedirect, first.StatusCode);
            }

            var sending = new TaskCompletionSource();
            var trickle = new TrickleContent(content, FirstPiece, sending);
            trickle.Headers.ContentRange = new ContentRangeHeaderValue(FirstPiece, content.Length - 1, content.Length);
            var put = http.PutAsync(uploadUrl, trickle);
            await sending.Task;
            server.Crash();
            await Assert.ThrowsAnyAsync<Exception>(() => put);
        }

        await using var host = await StowageHost.StartAsync(dataDir: dataDir);
        using var c2 = host.Client();
        await c2.LoginAsync();
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while ((await BsKit.GetAsync(c2, bs))["status"]!.GetValue<string>() != "Connected")
        {
            Assert.True(DateTime.UtcNow < deadline, "backup storage not connected 30 s after the restart");
            await Task.Delay(100);
        }

        var resumed = new Uri(host.BaseAddress, uploadPath);
        Assert.Equal(FirstPiece, JsonNode.Parse(await http.GetStringAsync(resumed))!["uploadedBytes"]!.GetValue<long>());
        using var last = await http.PutAsync(resumed, Piece(content, FirstPiece, content.Length));
        var body = await last.Content.ReadAsStringAsync();
        Assert.True(last.StatusCode == HttpStatusCode.OK, body);
        var ready = JsonNode.Parse(body)!["inventory"]!;
        Assert.Equal(ImageKit.Sha256(content), ready["sha256Sum"]!.GetValue<string>());
        var path = ready["backupStorageRefs"]![0]!["installPath"]!.GetValue<string>();
        Assert.Equal([path], await storage.FilesAsync(loc));
        Assert.Equal(content, await storage.ReadAsync(loc, path));
    }

    private static ByteArrayContent Piece(byte[] content, int from, int to)
    {
        var piece = new ByteArrayContent(content, from, to - from);
        piece.Headers.ContentRange = new ContentRangeHeaderValue(from, to - 1, content.Length);
        return piece;
    }

    private static List<string> Parts(string url) =>
        Directory.Exists(url) ? [.. Directory.EnumerateFiles(url, "*.stowage-part", SearchOption.AllDirectories)] : [];

    /// <summary>The rest of <c>content</c> from <c>from</c>, 64 KiB every 50 ms; <c>sending</c> completes after the first block.</summary>
    private sealed class TrickleContent(byte[] content, int from, TaskCompletionSource sending) : HttpContent
    {
        protected override async Task SerializeToStreamAsync(Stream stream, TransportContext? context)
        {
            for (var at = from; at < content.Length; at += 64 * 1024)
            {
                await stream.WriteAsync(content.AsMemory(at, Math.Min(64 * 1024, content.Length - at)));
                await stream.FlushAsync();
                sending.TrySetResult();
                await Task.Delay(50);
            }
        }

        protected override bool TryComputeLength(out long length)
        {
            length = content.Length - from;
            return true;
        }
    }

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
