using System.Diagnostics;
using System.Text.Json;

namespace Stowage.FileSystem;

/// <summary>
/// <c>qemu-img info --output=json -- &lt;file&gt;</c> on a local file, as the SFTP type runs it on its host: a
/// process started with an argument vector (no shell), bounded in time and output, killed on cancel.
/// </summary>
internal static class QemuImg
{
    private const int MaxOutput = 64 * 1024;

    private static readonly Lazy<string?> Program = new(() => Find("qemu-img"));

    public static TimeSpan Timeout { get; } = TimeSpan.FromSeconds(60);

    /// <summary>Whether qemu-img is installed (found on PATH).</summary>
    public static bool Available => Program.Value is not null;

    /// <summary>The format and virtual size qemu-img reports; throws when it fails or prints no format.</summary>
    public static async Task<FormatFacts> InfoAsync(string path, CancellationToken ct)
    {
        var program = Program.Value ?? throw new InvalidOperationException("qemu-img is not installed");
        var psi = new ProcessStartInfo(program)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "info", "--output=json", "--", path })
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException("qemu-img did not start");
        process.StandardInput.Close();
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(ct);
        limit.CancelAfter(Timeout);
        try
        {
            var stdout = ReadBoundedAsync(process.StandardOutput, limit.Token);
            var stderr = ReadBoundedAsync(process.StandardError, limit.Token);
            await process.WaitForExitAsync(limit.Token);
            var json = await stdout;
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException($"exit {process.ExitCode}: {(await stderr).Trim()}");
            }

            using var doc = JsonDocument.Parse(json);
            var format = doc.RootElement.TryGetProperty("format", out var f) ? f.GetString() : null;
            long? size = doc.RootElement.TryGetProperty("virtual-size", out var v) && v.TryGetInt64(out var n) ? n : null;
            return string.IsNullOrEmpty(format) ? throw new InvalidOperationException("no format in its output") : new FormatFacts(format, size);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }

    private static async Task<string> ReadBoundedAsync(StreamReader reader, CancellationToken ct)
    {
        var buffer = new char[4096];
        var text = new System.Text.StringBuilder();
        int n;
        while ((n = await reader.ReadAsync(buffer.AsMemory(), ct)) > 0)
        {
            if (text.Length < MaxOutput)
            {
                text.Append(buffer, 0, Math.Min(n, MaxOutput - text.Length));
            }
        }

        return text.ToString();
    }

    private static string? Find(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/local/bin:/usr/bin:/bin")
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, name))
            .FirstOrDefault(File.Exists);
}
