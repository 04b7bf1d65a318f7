using System.Diagnostics;
using System.Security.Cryptography;
using Stowage.Core.Storage;

namespace Stowage.FileSystem.Tests;

/// <summary>A fresh temporary directory per test (removed on dispose, read-only files included) and helpers.</summary>
public sealed class TestDir : IDisposable
{
    public TestDir()
    {
        Path = Directory.CreateTempSubdirectory("stowage-fs-test.").FullName;
    }

    public string Path { get; }

    /// <summary>A backup storage url inside the directory (not created).</summary>
    public string Url(string name = "bs") => System.IO.Path.Combine(Path, name);

    public static BackupStorageTarget Target(string url, string? uuid = null) =>
        new(uuid ?? Guid.NewGuid().ToString("N"), url, new Dictionary<string, string>(), null);

    public static string InstallPath(string url, string image = "img1", string name = "disk.template") =>
        $"{url}/rootVolumeTemplates/acct-36c27e8ff05c4780bf6d2fa65700f22e/{image}/{name}";

    public static byte[] Bytes(int count, int seed = 1)
    {
        var data = new byte[count];
        new Random(seed).NextBytes(data);
        return data;
    }

    public static (string Md5, string Sha256) Digests(byte[] data) =>
        (Convert.ToHexStringLower(Md5(data)), Convert.ToHexStringLower(SHA256.HashData(data)));

#pragma warning disable CA5351 // ZStack's images carry md5 sums; the test checks the driver computes the same one.
    private static byte[] Md5(byte[] data) => MD5.HashData(data);
#pragma warning restore CA5351

    /// <summary>Every file under <paramref name="dir"/>, relative, sorted.</summary>
    public static List<string> Files(string dir) =>
        Directory.Exists(dir)
            ? Directory.EnumerateFiles(dir, "*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
                .Select(f => System.IO.Path.GetRelativePath(dir, f)).Order(StringComparer.Ordinal).ToList()
            : [];

    public static string Run(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode == 0 ? stdout : throw new InvalidOperationException($"{file} {string.Join(' ', args)} exited with {p.ExitCode}: {stderr.Result}");
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A mount left by a failed test; the next tmp clean-up removes it.
        }
    }
}

/// <summary>A fact that needs root (to mount a small or read-only filesystem); skipped with that reason otherwise.</summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Skip = "needs root: the test mounts a small tmpfs";
        }
    }
}

/// <summary>A tmpfs of a few MiB mounted on a fresh directory; unmounted on dispose.</summary>
public sealed class SmallDisk : IDisposable
{
    public SmallDisk(string root, int mebibytes, bool readOnly = false)
    {
        Root = root;
        Directory.CreateDirectory(Root);
        TestDir.Run("mount", "-t", "tmpfs", "-o", $"size={mebibytes}m,mode=0755", "tmpfs", Root);
        if (readOnly)
        {
            Directory.CreateDirectory(System.IO.Path.Combine(Root, "bs"));
            TestDir.Run("mount", "-o", "remount,ro", Root);
        }
    }

    public string Root { get; }

    public string Url => System.IO.Path.Combine(Root, "bs");

    public void Dispose() => TestDir.Run("umount", "-l", Root);
}

/// <summary>A source that yields its bytes in small reads, then fails or blocks at a chosen point.</summary>
public sealed class ScriptedSourceStream(byte[] data, int failAt = -1, TaskCompletionSource? reachedBlock = null, int blockAt = -1) : Stream
{
    private int _position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => data.Length;

    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (failAt >= 0 && _position >= failAt)
        {
            throw new IOException("the peer reset the connection");
        }

        if (blockAt >= 0 && _position >= blockAt)
        {
            reachedBlock?.TrySetResult();
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }

        var limit = data.Length - _position;
        if (failAt >= 0)
        {
            limit = Math.Min(limit, failAt - _position);
        }

        if (blockAt >= 0)
        {
            limit = Math.Min(limit, blockAt - _position);
        }

        var n = Math.Min(Math.Min(buffer.Length, 64 * 1024), limit);
        data.AsMemory(_position, n).CopyTo(buffer);
        _position += n;
        return n;
    }

    public override int Read(byte[] buffer, int offset, int count) => ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
