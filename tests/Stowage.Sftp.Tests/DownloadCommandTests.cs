using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Stowage.Core.Storage;

namespace Stowage.Sftp.Tests;

/// <summary>
/// The host-pull script (<see cref="ImageCommands.Download"/>) run by a real /bin/sh with real curl and python3
/// against a loopback HTTP server: the streaming hasher when the host has python3, the download-then-hash
/// fallback when it has none (or the caller turns it off), a wrong expected checksum, a source error and a
/// cancel mid-download. The server-level host-pull tests (ImageAddTests, ImageFailureTests) run the same
/// script through the test sshd.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DownloadCommandTests : IDisposable
{
    private static readonly byte[] Image = RandomNumberGenerator.GetBytes(3_000_000);
    private readonly string _dir = Directory.CreateTempSubdirectory("stowage-download-cmd.").FullName;
    private readonly HttpListener _http = new();
    private readonly string _url;
    private readonly CancellationTokenSource _stop = new();

    public DownloadCommandTests()
    {
        var port = FreePort();
        _url = $"http://127.0.0.1:{port}/";
        _http.Prefixes.Add(_url);
        _http.Start();
        _ = ServeAsync();
    }

    public static TheoryData<string, bool, bool> Paths => new()
    {
        // name, python3 on the PATH, hashWhileDownloading
        { "hasher", true, true },
        { "no python3 on the host", false, true },
        { "turned off", true, false },
    };

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task The_image_lands_with_its_size_and_both_digests(string name, bool python, bool hash)
    {
        var install = Path.Combine(_dir, name, "image.template");
        var run = await RunAsync(ImageCommands.Download(install, false, new ImageExpectations(Image.Length, Md5(Image)), 0, hash), _url + "image", python);
        Assert.True(run.Exit == 0, run.ToString());
        Assert.Contains($"FACTS {Image.Length} {Md5(Image)} {Convert.ToHexStringLower(SHA256.HashData(Image))}", run.Out, StringComparison.Ordinal);
        Assert.Equal(Image, await File.ReadAllBytesAsync(install));
        Assert.False(File.Exists(ImageCommands.TempPath(install)));
        // The hasher ran exactly when it should (the python3 on the PATH is a wrapper that leaves a mark).
        Assert.Equal(python && hash, File.Exists(Path.Combine(_dir, "python3-ran")));
    }

    [Theory]
    [MemberData(nameof(Paths))]
    public async Task A_wrong_expected_md5_fails_and_leaves_nothing(string name, bool python, bool hash)
    {
        var install = Path.Combine(_dir, name, "image.template");
        var run = await RunAsync(ImageCommands.Download(install, false, new ImageExpectations(Md5: new string('0', 32)), 0, hash), _url + "image", python);
        Assert.True(run.Exit == ImageCommands.ExitChecksumMismatch, run.ToString());
        Assert.Contains($"MD5 {Md5(Image)}", run.Out, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.GetDirectoryName(install)), "the image folder is removed");
    }

    [Fact]
    public async Task A_source_error_under_the_hasher_is_curls_error()
    {
        var install = Path.Combine(_dir, "missing", "image.template");
        var run = await RunAsync(ImageCommands.Download(install, false, new ImageExpectations()), _url + "missing", python: true);
        Assert.True(run.Exit == ImageCommands.ExitCurl, run.ToString());
        Assert.Contains("TOOL curl 22", run.Out, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.GetDirectoryName(install)));
    }

    [Fact]
    public async Task A_python3_that_cannot_hash_falls_back_to_download_then_hash()
    {
        // Stands for a python3 without a usable hashlib: the hasher exits before it starts curl.
        var bin = Directory.CreateDirectory(Path.Combine(_dir, "broken-bin")).FullName;
        await File.WriteAllTextAsync(Path.Combine(bin, "python3"), $"#!/bin/sh\nexit {ImageCommands.HasherUnusable}\n");
        File.SetUnixFileMode(Path.Combine(bin, "python3"), (UnixFileMode)0b111_101_101);
        var install = Path.Combine(_dir, "broken", "image.template");
        var run = await RunAsync(ImageCommands.Download(install, false, new ImageExpectations()), _url + "image", python: true, pathFirst: bin);
        Assert.True(run.Exit == 0, run.ToString());
        Assert.Contains($"FACTS {Image.Length} {Md5(Image)} ", run.Out, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Cancel_mid_download_stops_every_process_and_removes_the_part_file(bool hash)
    {
        var install = Path.Combine(_dir, $"cancel-{hash}", "image.template");
        var part = ImageCommands.TempPath(install);
        var pid = 0;
        var run = await RunAsync(ImageCommands.Download(install, false, new ImageExpectations(), 0, hash), _url + "slow", python: true, during: async firstLine =>
        {
            pid = int.Parse(firstLine["PID ".Length..], CultureInfo.InvariantCulture);
            using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (!File.Exists(part) || new FileInfo(part).Length == 0)
            {
                await Task.Delay(20, wait.Token);
            }

            // What SftpBackupStorageDriver runs on cancel, over its own session.
            Assert.Equal(0, (await ShAsync(ImageCommands.Kill(pid, install))).Exit);
        });
        Assert.NotEqual(0, run.Exit);
        Assert.False(File.Exists(part), "the part file is removed");
        Assert.False(Directory.Exists(Path.GetDirectoryName(install)), "the image folder is removed");
        using var gone = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (GroupMembers(pid).Count > 0)
        {
            await Task.Delay(50, gone.Token);
        }
    }

    public void Dispose()
    {
        _stop.Cancel();
        _http.Close();
        _stop.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

#pragma warning disable CA5351 // md5 is ZStack's file identity field that the script reports
    private static string Md5(byte[] bytes) => Convert.ToHexStringLower(MD5.HashData(bytes));
#pragma warning restore CA5351

    private sealed record Run(int Exit, string Out, string Err)
    {
        public override string ToString() => $"exit {Exit}; stdout: {Out}; stderr: {Err}";
    }

    /// <summary>
    /// Runs the script in a session of its own (as sshd does), the url on stdin, which stays open until the
    /// script ends (its watchdog stops it when stdin closes). <paramref name="python"/> false runs it with a PATH
    /// of links to the tools the script uses, python3 left out; true puts a python3 wrapper first that marks
    /// that it ran.
    /// </summary>
    private async Task<Run> RunAsync(string script, string url, bool python, string? pathFirst = null, Func<string, Task>? during = null)
    {
        var psi = new ProcessStartInfo("setsid") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "/bin/sh", "-c", script })
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["PATH"] = (pathFirst is null ? string.Empty : pathFirst + ":") + ToolPath(python);
        using var p = Process.Start(psi)!;
        try
        {
            using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(120));
            var stderr = p.StandardError.ReadToEndAsync(limit.Token);
            await p.StandardInput.WriteLineAsync(url);
            await p.StandardInput.FlushAsync(limit.Token);
            var first = await p.StandardOutput.ReadLineAsync(limit.Token) ?? string.Empty;
            if (during is not null)
            {
                await during(first);
            }

            var rest = await p.StandardOutput.ReadToEndAsync(limit.Token);
            await p.WaitForExitAsync(limit.Token);
            p.StandardInput.Close();
            return new Run(p.ExitCode, first + "\n" + rest, await stderr);
        }
        finally
        {
            // A script that did not end (a failed test) must not outlive it: its whole session goes.
            if (!p.HasExited)
            {
                using var kill = Process.Start("kill", ["-KILL", "-" + p.Id.ToString(CultureInfo.InvariantCulture)]);
                await kill.WaitForExitAsync();
            }
        }
    }

    private static async Task<Run> ShAsync(string script)
    {
        var psi = new ProcessStartInfo("/bin/sh") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add("-c");
        psi.ArgumentList.Add(script);
        using var p = Process.Start(psi)!;
        var err = p.StandardError.ReadToEndAsync();
        var output = await p.StandardOutput.ReadToEndAsync();
        await p.WaitForExitAsync();
        return new Run(p.ExitCode, output, await err);
    }

    private string ToolPath(bool python)
    {
        var bin = Directory.CreateDirectory(Path.Combine(_dir, python ? "bin" : "bin-nopy")).FullName;
        string[] tools = ["sh", "cat", "curl", "mkdir", "dirname", "rm", "rmdir", "stat", "sync", "md5sum", "sha256sum",
            "openssl", "qemu-img", "od", "tr", "mv", "chmod", "sleep", "readlink"];
        foreach (var tool in tools)
        {
            var link = Path.Combine(bin, tool);
            if (!File.Exists(link) && Which(tool) is { } target)
            {
                File.CreateSymbolicLink(link, target);
            }
        }

        var wrapper = Path.Combine(bin, "python3");
        if (python && !File.Exists(wrapper))
        {
            var real = Which("python3") ?? throw new InvalidOperationException("these tests need python3 on the PATH");
            File.WriteAllText(wrapper, $"#!/bin/sh\n: > '{Path.Combine(_dir, "python3-ran")}'\nexec '{real}' \"$@\"\n");
            File.SetUnixFileMode(wrapper, (UnixFileMode)0b111_101_101);
        }

        return bin;
    }

    /// <summary>The system's tool first (a version manager's shim needs its own environment), else the PATH's.</summary>
    private static string? Which(string tool) =>
        new[] { "/usr/bin", "/bin" }.Concat((Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':', StringSplitOptions.RemoveEmptyEntries))
            .Select(d => Path.Combine(d, tool))
            .FirstOrDefault(File.Exists);

    /// <summary>Processes whose process group is <paramref name="group"/>.</summary>
    private static List<int> GroupMembers(int group)
    {
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (fields[0] != "Z" && int.Parse(fields[2], CultureInfo.InvariantCulture) == group)
                {
                    found.Add(int.Parse(Path.GetFileName(dir), CultureInfo.InvariantCulture));
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                // Not a process, or gone meanwhile.
            }
        }

        return found;
    }

    private async Task ServeAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            HttpListenerContext c;
            try
            {
                c = await _http.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException or InvalidOperationException)
            {
                return;
            }

            _ = Task.Run(async () =>
            {
                try
                {
                    switch (c.Request.Url?.AbsolutePath)
                    {
                        case "/image":
                            c.Response.ContentLength64 = Image.Length;
                            await c.Response.OutputStream.WriteAsync(Image, _stop.Token);
                            break;
                        case "/slow":
                            // Trickles until the client goes away (or the test ends).
                            c.Response.SendChunked = true;
                            while (!_stop.IsCancellationRequested)
                            {
                                await c.Response.OutputStream.WriteAsync(Image.AsMemory(0, 64 * 1024), _stop.Token);
                                await c.Response.OutputStream.FlushAsync(_stop.Token);
                                await Task.Delay(50, _stop.Token);
                            }

                            break;
                        default:
                            c.Response.StatusCode = 404;
                            break;
                    }

                    c.Response.Close();
                }
                catch (Exception e) when (e is HttpListenerException or IOException or OperationCanceledException or ObjectDisposedException)
                {
                    c.Response.Abort();
                }
            });
        }
    }

    private static int FreePort()
    {
        using var l = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
