using Stowage.Core.Storage;

namespace Stowage.FileSystem.Tests;

/// <summary>Resumable uploads: pieces, offsets, a client that goes away, verification at the end.</summary>
public sealed class UploadTests : IDisposable
{
    private readonly TestDir _dir = new();
    private readonly FileSystemBackupStorageDriver _driver = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Pieces_resume_from_the_held_size_and_the_last_one_verifies_and_places_the_file()
    {
        var (url, target) = await ConnectedAsync();
        var data = TestDir.Bytes(2_500_000);
        var (md5, sha) = TestDir.Digests(data);
        var path = TestDir.InstallPath(url);
        var expect = new ImageExpectations(Md5: md5, Sha256: sha);

        Assert.Equal(0, await _driver.GetUploadedSizeAsync(target, path, CancellationToken.None));
        var first = await _driver.WriteUploadChunkAsync(target, new MemoryStream(data[..1_000_000]), path, 0, data.Length, expect, CancellationToken.None);
        Assert.Equal(1_000_000, first.Size);
        Assert.Null(first.Facts);
        Assert.Equal(1_000_000, await _driver.GetUploadedSizeAsync(target, path, CancellationToken.None));

        var wrong = await Assert.ThrowsAsync<StorageException>(() => _driver.WriteUploadChunkAsync(target, new MemoryStream(data[500_000..]), path, 500_000, data.Length, expect, CancellationToken.None));
        Assert.Contains("holds 1000000 bytes", wrong.Message, StringComparison.Ordinal);

        // The client goes away mid-body: what arrived is kept for the resume.
        var broken = await _driver.WriteUploadChunkAsync(target, new ScriptedSourceStream(data[1_000_000..], failAt: 700_000), path, 1_000_000, data.Length, expect, CancellationToken.None);
        Assert.Equal(1_700_000, broken.Size);

        var last = await _driver.WriteUploadChunkAsync(target, new MemoryStream(data[1_700_000..]), path, 1_700_000, data.Length, expect, CancellationToken.None);
        Assert.Equal(data.Length, last.Size);
        Assert.NotNull(last.Facts);
        Assert.Equal(sha, last.Facts.Sha256);
        Assert.Equal(md5, last.Facts.Md5);
        Assert.Equal(data, await File.ReadAllBytesAsync(path));
        Assert.False(File.Exists(path + FileStoreDriver.UploadSuffix));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(path));
    }

    [Fact]
    public async Task A_single_piece_upload_uses_the_digests_of_its_own_bytes()
    {
        var (url, target) = await ConnectedAsync();
        var data = TestDir.Bytes(1_234_567);
        var path = TestDir.InstallPath(url);

        var chunk = await _driver.WriteUploadChunkAsync(target, new MemoryStream(data), path, 0, data.Length, new ImageExpectations(), CancellationToken.None);

        Assert.Equal(TestDir.Digests(data).Md5, chunk.Facts!.Md5);
    }

    [Fact]
    public async Task A_checksum_mismatch_at_the_end_removes_the_upload()
    {
        var (url, target) = await ConnectedAsync();
        var data = TestDir.Bytes(100_000);
        var path = TestDir.InstallPath(url);

        var e = await Assert.ThrowsAsync<StorageException>(() => _driver.WriteUploadChunkAsync(target, new MemoryStream(data), path, 0, data.Length, new ImageExpectations(Sha256: new string('b', 64)), CancellationToken.None));

        Assert.Equal(StorageFailure.SourceFailed, e.Failure);
        Assert.False(File.Exists(path + FileStoreDriver.UploadSuffix));
        Assert.False(File.Exists(path));
        Assert.Equal(0, await _driver.GetUploadedSizeAsync(target, path, CancellationToken.None));
    }

    [Fact]
    public async Task More_bytes_than_announced_fail_the_size_check()
    {
        var (url, target) = await ConnectedAsync();
        var path = TestDir.InstallPath(url);

        var e = await Assert.ThrowsAsync<StorageException>(() => _driver.WriteUploadChunkAsync(target, new MemoryStream(TestDir.Bytes(2000)), path, 0, 1000, new ImageExpectations(), CancellationToken.None));

        Assert.Contains("2000 bytes", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.GetDirectoryName(path)));
    }

    private async Task<(string Url, BackupStorageTarget Target)> ConnectedAsync()
    {
        var url = _dir.Url();
        var target = TestDir.Target(url);
        await _driver.ConnectAsync(target, CancellationToken.None);
        await _driver.WriteMarkerAsync(target, CancellationToken.None);
        return (url, target);
    }
}
