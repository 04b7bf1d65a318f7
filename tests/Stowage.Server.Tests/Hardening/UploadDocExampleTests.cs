using System.Diagnostics;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Hardening;

/// <summary>
/// Issue 15 item 10: the resumable-upload loop of docs/api.md, run as written with the system's curl (which
/// sends <c>-T -</c> chunked), uploads a file in pieces to a real server.
/// </summary>
[Collection(StorageCollection.Name)]
public sealed class UploadDocExampleTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task The_documented_resumable_upload_loop_works_with_curl(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var bs = await BsKit.AddOkAsync(client, sshd, sshd.NewPath());
        var content = ImageKit.Qcow2();
        var file = Path.Combine(Path.GetTempPath(), $"stowage-doc-{Guid.NewGuid():N}.qcow2");
        await File.WriteAllBytesAsync(file, content);
        try
        {
            var r = await ImageKit.AddAsync(client, "upload://disk.qcow2", [bs], "up", systemTags: ["checksum::sha256::" + ImageKit.Sha256(content)]);
            var uploadUrl = r.Json!["inventory"]!["backupStorageRefs"]![0]!["uploadUrl"]!.GetValue<string>();

            // The loop from docs/api.md, with pieces smaller than the file so it takes several rounds.
            var loop = DocLoop().Replace("piece=$((1<<30))", "piece=100000", StringComparison.Ordinal).Replace("disk.qcow2", file, StringComparison.Ordinal);
            var (code, output) = await BashAsync(loop, ("U", uploadUrl));
            Assert.True(code == 0, output);
            var image = (await ImageKit.QueryAsync(client, "q=name=up")).Single()!;
            Assert.Equal("Ready", image["status"]!.GetValue<string>());
            Assert.Equal(ImageKit.Sha256(content), image["sha256Sum"]!.GetValue<string>());
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>The resumable loop as docs/api.md shows it (from its comment line to its done).</summary>
    private static string DocLoop()
    {
        var dir = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(dir, "docs", "api.md")))
        {
            dir = Path.GetDirectoryName(dir) ?? throw new InvalidOperationException("docs/api.md not found above the test directory");
        }

        var doc = File.ReadAllText(Path.Combine(dir, "docs", "api.md"));
        var start = doc.IndexOf("# Resumable, in 1 GiB pieces", StringComparison.Ordinal);
        var end = doc.IndexOf("\ndone", start, StringComparison.Ordinal) + "\ndone".Length;
        Assert.True(start > 0 && end > start, "the resumable upload example is missing from docs/api.md");
        return doc[start..end];
    }

    private static async Task<(int Code, string Output)> BashAsync(string script, params (string Name, string Value)[] env)
    {
        var psi = new ProcessStartInfo("bash", ["-c", script]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (name, value) in env)
        {
            psi.Environment[name] = value;
        }

        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        return (p.ExitCode, await stdout + await stderr);
    }
}
