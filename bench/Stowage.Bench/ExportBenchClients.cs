using System.Collections.Concurrent;

namespace Stowage.Bench;

/// <summary>The export benchmark's extra clients (OpenSSH <c>ssh cat</c>, HttpClient) and a watch on the server's child processes.</summary>
internal static class ExportBenchClients
{
    /// <summary>
    /// <c>ssh -T -x -a -n -F /dev/null … cat file &gt; /dev/null</c>: what any design that reads through an
    /// OpenSSH child can reach at best (the server's ssh child does exactly this, then copies the pipe into
    /// HTTP); no file is written, so it is a ceiling, not a like-for-like download. The shell only redirects;
    /// the arguments reach ssh as they are.
    /// </summary>
    public static void SshCat(string port, string[] sshOpts, string user, string path) =>
        Sshd.Run("sh", ["-c", "exec \"$@\" > /dev/null", "sh", "ssh", "-T", "-x", "-a", "-n", "-F", "/dev/null", "-p", port, .. sshOpts,
            $"{user}@127.0.0.1", "cat -- '" + path.Replace("'", "'\\''", StringComparison.Ordinal) + "'"]);

    /// <summary>A client that reads the answer 1 MiB at a time (as <c>sftp -B</c> writes 256 KiB blocks), not curl's 16 KiB.</summary>
    public static async Task HttpClientAsync(string url, string output, CancellationToken ct)
    {
        using var http = new HttpClient(new SocketsHttpHandler { AutomaticDecompression = System.Net.DecompressionMethods.None }) { Timeout = TimeSpan.FromMinutes(10) };
        using var response = await http.GetAsync(url, HttpCompletionOption.ResponseHeadersRead, ct);
        response.EnsureSuccessStatusCode();
        await using var body = await response.Content.ReadAsStreamAsync(ct);
        await using var file = new FileStream(output, FileMode.Create, FileAccess.Write, FileShare.None, 1, FileOptions.None);
        var buffer = new byte[1 << 20];
        int n;
        while ((n = await body.ReadAsync(buffer, ct)) > 0)
        {
            file.Write(buffer, 0, n);
        }
    }

    /// <summary>Records the names of <paramref name="pid"/>'s descendants every 100 ms until it sees ssh or is disposed.</summary>
    public static ChildWatch WatchChildren(int pid) => new(pid);

    internal sealed class ChildWatch : IDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly Task _loop;

        public ChildWatch(int pid) => _loop = Task.Run(async () =>
        {
            // Stops looking once ssh is seen, so the watch costs next to nothing during the timed download.
            while (!_stop.IsCancellationRequested && !Seen.ContainsKey("ssh"))
            {
                foreach (var child in ProcFs.Children(pid))
                {
                    try
                    {
                        Seen[File.ReadAllText($"/proc/{child}/comm").Trim()] = true;
                    }
                    catch (IOException)
                    {
                        // It just ended.
                    }
                }

                await Task.Delay(100);
            }
        });

        public ConcurrentDictionary<string, bool> Seen { get; } = new(StringComparer.Ordinal);

        public void Dispose()
        {
            _stop.Cancel();
            _loop.Wait();
            _stop.Dispose();
        }
    }
}
