using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Server.Tests.Images;

/// <summary>Helpers for image tests: bodies, files, and what must (not) be left on the storage host.</summary>
public static class ImageKit
{
    public static JsonObject AddBody(string url, IEnumerable<string> bsUuids, string name = "img", string? mediaType = null, string platform = "Linux", IEnumerable<string>? systemTags = null)
    {
        var p = new JsonObject
        {
            ["name"] = name, ["url"] = url, ["platform"] = platform, ["system"] = false, ["virtio"] = true,
            ["backupStorageUuids"] = new JsonArray([.. bsUuids.Select(u => JsonValue.Create(u))]),
        };
        if (mediaType is not null)
        {
            p["mediaType"] = mediaType;
        }

        var body = new JsonObject { ["params"] = p };
        if (systemTags is not null)
        {
            body["systemTags"] = new JsonArray([.. systemTags.Select(t => JsonValue.Create(t))]);
        }

        return body;
    }

    public static Task<ApiResponse> AddAsync(ZStackClient client, string url, IEnumerable<string> bsUuids, string name = "img", string? mediaType = null, IEnumerable<string>? systemTags = null) =>
        client.CallAsync(HttpMethod.Post, "/images", AddBody(url, bsUuids, name, mediaType, systemTags: systemTags));

    public static async Task<JsonNode> AddOkAsync(ZStackClient client, string url, IEnumerable<string> bsUuids, string name = "img", string? mediaType = null)
    {
        var r = await AddAsync(client, url, bsUuids, name, mediaType);
        Assert.True(r.Status == HttpStatusCode.OK, r.ToString());
        return r.Json!["inventory"]!;
    }

    public static async Task<JsonArray> QueryAsync(ZStackClient client, params string[] q)
    {
        var r = await client.QueryAsync("/images", q);
        Assert.True(r.Status == HttpStatusCode.OK, r.ToString());
        return ZStackClient.Inventories(r);
    }

    public static async Task SetConfigAsync(ZStackClient client, string category, string name, string value)
    {
        var r = await client.UpdateGlobalConfigAsync(category, name, value);
        Assert.True(r.Status == HttpStatusCode.OK, r.ToString());
    }

    public static byte[] RandomBytes(int size)
    {
        var b = new byte[size];
        Random.Shared.NextBytes(b);
        return b;
    }

    /// <summary>A real qcow2 file made by qemu-img (64 MiB virtual).</summary>
    public static byte[] Qcow2()
    {
        var path = Path.Combine(Path.GetTempPath(), $"stowage-{Guid.NewGuid():N}.qcow2");
        Proc.Run("qemu-img", "create", "-q", "-f", "qcow2", path, "64M");
        var bytes = File.ReadAllBytes(path);
        File.Delete(path);
        return bytes;
    }

    public static string Sha256(byte[] b) => Convert.ToHexStringLower(SHA256.HashData(b));

    /// <summary>md5sum of the bytes (the hash ZStack's md5Sum field names; not used for security here).</summary>
    public static string Md5(byte[] b)
    {
        var path = Path.Combine(Path.GetTempPath(), $"stowage-{Guid.NewGuid():N}.bin");
        File.WriteAllBytes(path, b);
        var sum = Proc.Run("md5sum", path).Split(' ')[0];
        File.Delete(path);
        return sum;
    }

    public static string Mode(string path) => Proc.Run("stat", "-c", "%a", path).Trim();

    /// <summary>Every file under the backup storage directory, except its identity marker and the image metadata file.</summary>
    public static List<string> Files(string bsUrl) =>
        [.. Directory.EnumerateFiles(bsUrl, "*", SearchOption.AllDirectories)
            .Where(f => !f.EndsWith(".stowage-backup-storage", StringComparison.Ordinal) && Path.GetFileName(f) != "bs_sftp_info.json")];

    /// <summary>No transfer tool of the storage user is left running on the host.</summary>
    public static void NoTransferProcess(SshdFixture sshd)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        string left;
        do
        {
            left = Processes(sshd.User);
            if (left.Length == 0)
            {
                return;
            }

            Thread.Sleep(100);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail("processes left on the host: " + left);
    }

    public static string Processes(string user)
    {
        var psi = new ProcessStartInfo("pgrep", ["-a", "-u", user, "-f", "curl|wget|cat|md5sum|sha256sum"]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return output.Trim();
    }

    public static long DfAvailable(string path)
    {
        var lines = Proc.Run("df", "-B1", "--output=avail", path).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return long.Parse(lines[^1].Trim(), System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// No process of the storage user works on <paramref name="dir"/> (itself or through its parent shell):
    /// other test runs share the user, so the whole-user check of <see cref="ImageKit.NoTransferProcess"/> could see theirs.
    /// </summary>
    public static void NoProcessFor(string user, string dir)
    {
        var deadline = DateTime.UtcNow.AddSeconds(5);
        List<string> left;
        do
        {
            left = ProcessesFor(user, dir);
            if (left.Count == 0)
            {
                return;
            }

            Thread.Sleep(100);
        }
        while (DateTime.UtcNow < deadline);
        Assert.Fail("processes left on the host: " + string.Join('\n', left));
    }

    public static List<string> ProcessesFor(string user, string dir) =>
        [.. Processes(user).Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Where(line => Mentions(line.Split(' ')[0], dir) || Mentions(Parent(line.Split(' ')[0]), dir))];

    private static bool Mentions(string? pid, string dir)
    {
        try
        {
            return pid is not null && File.ReadAllText($"/proc/{pid}/cmdline").Contains(dir, StringComparison.Ordinal);
        }
        catch (IOException)
        {
            return false;
        }
    }

    private static string? Parent(string pid)
    {
        try
        {
            return File.ReadAllLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("PPid:", StringComparison.Ordinal))?[5..].Trim();
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>Polls <paramref name="condition"/> every 50 ms until it holds; fails after <paramref name="limit"/> (20 s by default).</summary>
    public static async Task WaitForAsync(Func<bool> condition, TimeSpan? limit = null)
    {
        var deadline = DateTime.UtcNow + (limit ?? TimeSpan.FromSeconds(20));
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < deadline, "condition not met in time");
            await Task.Delay(50);
        }
    }
}
