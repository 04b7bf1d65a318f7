using System.Security.Cryptography;
using Stowage.Core.Storage;
using Stowage.FileSystem;
using Stowage.Nfs.Tests.Infrastructure;

namespace Stowage.Nfs.Tests;

/// <summary>NfsFileAccess against a real NFS-Ganesha: the operations the filesystem driver core relies on.</summary>
[Collection("nfs")]
public sealed class NfsFileAccessTests(NfsFixture fixture)
{
    private readonly GaneshaServer _server = fixture.Server;

    private static readonly NfsOptions Options = new() { Timeout = TestData.CallTimeout };

    private (NfsFileAccess Access, string Root) NewAccess(NfsOptions? options = null)
    {
        var name = "t-" + Guid.NewGuid().ToString("N")[..12];
        var location = _server.Location(name);
        return (new NfsFileAccess(location, options ?? Options), location.Path);
    }

    [Fact]
    public async Task Writes_64MiB_and_reads_it_back_byte_exact_from_offsets()
    {
        var (access, root) = NewAccess();
        await using var _ = access;
        await access.CreateDirectoryAsync(root, default);
        var data = TestData.Bytes(64 << 20, seed: 1);
        var path = root + "/big.qcow2";

        await using (var w = await access.OpenWriteAsync(path, FileWriteMode.Truncate, default))
        {
            // Odd slice sizes so the chunking of the stream never lines up with the caller's writes.
            for (var off = 0; off < data.Length;)
            {
                var n = Math.Min(777_777, data.Length - off);
                await w.WriteAsync(data.AsMemory(off, n));
                off += n;
            }
            await w.FlushAsync();
        }

        Assert.Equal(data.Length, new FileInfo(Path.Combine(_server.ExportDir, Path.GetFileName(root), "big.qcow2")).Length);
        var entry = await access.StatAsync(path, default);
        Assert.NotNull(entry);
        Assert.False(entry.IsDirectory);
        Assert.Equal(data.Length, entry.Size);

        await using (var r = await access.OpenReadAsync(path, 0, default))
        {
            Assert.Equal(data.Length, r.Length);
            Assert.Equal(SHA256.HashData(data), await SHA256.HashDataAsync(r));
        }
        foreach (var offset in new long[] { 1, (1 << 20) - 1, 33 * (1L << 20) + 7, data.Length - 1, data.Length })
        {
            await using var r = await access.OpenReadAsync(path, offset, default);
            using var copy = new MemoryStream();
            await r.CopyToAsync(copy);
            Assert.Equal(data.AsSpan((int)offset).ToArray(), copy.ToArray());
        }
    }

    [Fact]
    public async Task Appends_to_an_existing_file_and_truncates_when_asked()
    {
        var (access, root) = NewAccess();
        await using var _ = access;
        await access.CreateDirectoryAsync(root, default);
        var path = root + "/part";
        await WriteAsync(access, path, [1, 2, 3], FileWriteMode.Truncate);
        await WriteAsync(access, path, [4, 5], FileWriteMode.Append);
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, await ReadAllAsync(access, path));
        await WriteAsync(access, path, [9], FileWriteMode.Truncate);
        Assert.Equal(new byte[] { 9 }, await ReadAllAsync(access, path));
    }

    [Fact]
    public async Task Creates_lists_renames_and_deletes()
    {
        var (access, root) = NewAccess();
        await using var _ = access;
        Assert.Empty(await access.ListAsync(root, default));
        Assert.Null(await access.StatAsync(root, default));

        await access.CreateDirectoryAsync(root + "/a/b", default);
        await access.CreateDirectoryAsync(root + "/a/b", default); // existing is fine
        await WriteAsync(access, root + "/a/one", [1], FileWriteMode.Truncate);
        await WriteAsync(access, root + "/a/two", [2, 2], FileWriteMode.Truncate);

        var list = (await access.ListAsync(root + "/a", default)).OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
        Assert.Equal(["b", "one", "two"], list.Select(e => e.Name));
        Assert.True(list[0].IsDirectory);
        Assert.Equal(2, list[2].Size);
        Assert.True(list[1].ModifiedUtc > DateTime.UtcNow.AddHours(-1));

        // Rename replaces an existing target.
        await access.RenameAsync(root + "/a/one", root + "/a/two", default);
        Assert.Equal(new byte[] { 1 }, await ReadAllAsync(access, root + "/a/two"));
        Assert.Null(await access.StatAsync(root + "/a/one", default));

        await access.ChmodAsync(root + "/a/two", 0x124, default); // 0444
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead,
            File.GetUnixFileMode(Path.Combine(_server.ExportDir, Path.GetFileName(root), "a", "two")));

        var notEmpty = await Assert.ThrowsAsync<StorageException>(() => access.DeleteDirectoryAsync(root + "/a", default));
        Assert.Contains("/a", notEmpty.Message, StringComparison.Ordinal);

        await access.DeleteFileAsync(root + "/a/two", default);
        await access.DeleteFileAsync(root + "/a/two", default); // missing is fine
        await access.DeleteDirectoryAsync(root + "/a/b", default);
        await access.DeleteDirectoryAsync(root + "/a/b", default);
        await access.DeleteDirectoryAsync(root + "/a", default);
        Assert.Empty(await access.ListAsync(root, default));

        var fileInTheWay = root + "/f";
        await WriteAsync(access, fileInTheWay, [0], FileWriteMode.Truncate);
        var e = await Assert.ThrowsAsync<StorageException>(() => access.CreateDirectoryAsync(fileInTheWay + "/sub", default));
        Assert.Equal(StorageFailure.BadLocation, e.Failure);
    }

    [Fact]
    public async Task Statfs_reports_the_exported_filesystem()
    {
        var (access, root) = NewAccess();
        await using var _ = access;
        var capacity = await access.StatFsAsync(root[..root.LastIndexOf('/')], default);
        var local = new DriveInfo(_server.ExportDir);
        Assert.Equal(local.TotalSize, capacity.Total);
        Assert.InRange(capacity.Available, 1, capacity.Total);
        // Other helpers write to the same disk meanwhile: close, not equal.
        Assert.InRange(capacity.Available, local.AvailableFreeSpace - (2L << 30), local.AvailableFreeSpace + (2L << 30));
    }

    [Fact]
    public async Task Paths_outside_the_mounted_directory_are_refused()
    {
        var (access, root) = NewAccess();
        await using var _ = access;
        await access.CreateDirectoryAsync(root, default);
        var e = await Assert.ThrowsAsync<StorageException>(() => access.StatAsync("/elsewhere/x", default));
        Assert.Equal(StorageFailure.BadLocation, e.Failure);
        e = await Assert.ThrowsAsync<StorageException>(() => access.StatAsync(root + "/../x", default));
        Assert.Equal(StorageFailure.BadLocation, e.Failure);
    }

    internal static async Task WriteAsync(IFileAccess access, string path, byte[] data, FileWriteMode mode)
    {
        await using var w = await access.OpenWriteAsync(path, mode, default);
        await w.WriteAsync(data);
        await w.FlushAsync();
    }

    internal static async Task<byte[]> ReadAllAsync(IFileAccess access, string path)
    {
        await using var r = await access.OpenReadAsync(path, 0, default);
        using var copy = new MemoryStream();
        await r.CopyToAsync(copy);
        return copy.ToArray();
    }
}
