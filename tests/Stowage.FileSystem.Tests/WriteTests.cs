using Stowage.Core.Storage;

namespace Stowage.FileSystem.Tests;

/// <summary>The streamed write path of the filesystem driver core against real directories.</summary>
public sealed class WriteTests : IDisposable
{
    private readonly TestDir _dir = new();
    private readonly FileSystemBackupStorageDriver _driver = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task A_write_lands_read_only_with_the_digests_computed_while_writing_and_no_part_file()
    {
        var (url, target) = await ConnectedAsync();
        var data = TestDir.Bytes(3 * 1024 * 1024 + 17);
        var (md5, sha) = TestDir.Digests(data);
        var path = TestDir.InstallPath(url);
        var reports = new List<long>();

        var facts = await _driver.WriteFromStreamAsync(target, new ScriptedSourceStream(data), path, new ImageExpectations(data.Length, md5, sha), new SyncProgress(reports), CancellationToken.None);

        Assert.Equal(path, facts.InstallPath);
        Assert.Equal(data.Length, facts.ActualSize);
        Assert.Equal(QemuImg.Available ? (data.Length + 511) / 512 * 512 : data.Length, facts.VirtualSize); // qemu-img rounds a raw file up to whole sectors
        Assert.Equal("raw", facts.Format);
        Assert.Equal(md5, facts.Md5);
        Assert.Equal(sha, facts.Sha256);
        Assert.Equal(data, await File.ReadAllBytesAsync(path));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(path));
        Assert.Equal([Path.GetRelativePath(url, path)], TestDir.Files(url).Where(f => !f.StartsWith('.')));
        Assert.Equal(data.Length, reports.Max());
    }

    [Theory]
    [InlineData("size")]
    [InlineData("md5")]
    [InlineData("sha256")]
    public async Task A_mismatch_fails_and_leaves_neither_file_nor_folder(string wrong)
    {
        var (url, target) = await ConnectedAsync();
        var data = TestDir.Bytes(200_000);
        var (md5, sha) = TestDir.Digests(data);
        var expect = wrong switch
        {
            "size" => new ImageExpectations(data.Length + 1),
            "md5" => new ImageExpectations(Md5: new string('0', 32), Sha256: sha),
            _ => new ImageExpectations(Md5: md5, Sha256: new string('a', 64)),
        };
        var path = TestDir.InstallPath(url);

        var e = await Assert.ThrowsAsync<StorageException>(() => _driver.WriteFromStreamAsync(target, new ScriptedSourceStream(data), path, expect, null, CancellationToken.None));

        Assert.Equal(StorageFailure.SourceFailed, e.Failure);
        Assert.Contains(wrong == "size" ? "bytes" : wrong, e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.GetDirectoryName(path)));
        Assert.DoesNotContain(TestDir.Files(url), f => !f.StartsWith('.'));
    }

    [Fact]
    public async Task A_source_that_breaks_off_fails_as_a_source_failure_without_orphans()
    {
        var (url, target) = await ConnectedAsync();
        var path = TestDir.InstallPath(url);

        var e = await Assert.ThrowsAsync<StorageException>(() =>
            _driver.WriteFromStreamAsync(target, new ScriptedSourceStream(TestDir.Bytes(4_000_000), failAt: 2_500_000), path, new ImageExpectations(), null, CancellationToken.None));

        Assert.Equal(StorageFailure.SourceFailed, e.Failure);
        Assert.Contains("reset", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.GetDirectoryName(path)));
    }

    [Fact]
    public async Task Cancelling_mid_write_removes_the_part_file_and_the_empty_folder()
    {
        var (url, target) = await ConnectedAsync();
        var path = TestDir.InstallPath(url);
        var blocked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var cts = new CancellationTokenSource();

        var write = _driver.WriteFromStreamAsync(target, new ScriptedSourceStream(TestDir.Bytes(5_000_000), reachedBlock: blocked, blockAt: 3_000_000), path, new ImageExpectations(), null, cts.Token);
        await blocked.Task.WaitAsync(TimeSpan.FromMinutes(1));
        Assert.True(File.Exists(path + FileStoreDriver.PartSuffix));
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => write);
        Assert.False(File.Exists(path + FileStoreDriver.PartSuffix));
        Assert.False(Directory.Exists(Path.GetDirectoryName(path)));
    }

    [Fact]
    public async Task A_second_image_in_the_same_account_folder_keeps_the_first_when_it_fails()
    {
        var (url, target) = await ConnectedAsync();
        var first = TestDir.InstallPath(url, "img1");
        await _driver.WriteFromStreamAsync(target, new MemoryStream(TestDir.Bytes(1000)), first, new ImageExpectations(), null, CancellationToken.None);

        await Assert.ThrowsAsync<StorageException>(() => _driver.WriteFromStreamAsync(target, new MemoryStream(TestDir.Bytes(1000)), TestDir.InstallPath(url, "img2"), new ImageExpectations(5), null, CancellationToken.None));

        Assert.True(File.Exists(first));
        Assert.False(Directory.Exists(Path.GetDirectoryName(TestDir.InstallPath(url, "img2"))));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task A_qcow2_image_reports_its_format_and_virtual_size(bool qemuImg)
    {
        var (url, target) = await ConnectedAsync();
        _driver.UseQemuImg = qemuImg;
        var qcow = Path.Combine(_dir.Path, "src.qcow2");
        if (QemuImg.Available)
        {
            TestDir.Run("qemu-img", "create", "-q", "-f", "qcow2", qcow, "64M");
        }
        else
        {
            // A qcow2 version 3 header as qemu-img writes it: magic, version, virtual size at byte 24.
            var header = new byte[512];
            "QFI"u8.CopyTo(header);
            header[3] = 0xfb;
            header[7] = 3;
            System.Buffers.Binary.BinaryPrimitives.WriteUInt64BigEndian(header.AsSpan(24), 64UL * 1024 * 1024);
            await File.WriteAllBytesAsync(qcow, header);
        }

        var facts = await _driver.WriteFromStreamAsync(target, File.OpenRead(qcow), TestDir.InstallPath(url), new ImageExpectations(), null, CancellationToken.None);

        Assert.Equal("qcow2", facts.Format);
        Assert.Equal(64L * 1024 * 1024, facts.VirtualSize);
        Assert.Equal(new FileInfo(qcow).Length, facts.ActualSize);
    }

    [Fact]
    public async Task An_iso_is_iso_even_though_qemu_img_calls_it_raw()
    {
        var (url, target) = await ConnectedAsync();
        var data = new byte[64 * 1024];
        "CD001"u8.CopyTo(data.AsSpan(32769));

        var facts = await _driver.WriteFromStreamAsync(target, new MemoryStream(data), TestDir.InstallPath(url, name: "x.iso"), new ImageExpectations(), null, CancellationToken.None);

        Assert.Equal("iso", facts.Format);
        Assert.Equal(data.Length, facts.VirtualSize);
    }

    [Fact]
    public async Task Export_reads_from_an_offset_and_knows_the_whole_length()
    {
        var (url, target) = await ConnectedAsync();
        var data = TestDir.Bytes(2_000_000);
        var path = TestDir.InstallPath(url);
        await _driver.WriteFromStreamAsync(target, new MemoryStream(data), path, new ImageExpectations(), null, CancellationToken.None);

        await using var stream = await _driver.OpenReadAsync(target, path, 1_500_000, CancellationToken.None);
        using var rest = new MemoryStream();
        await stream.CopyToAsync(rest);

        Assert.Equal(data.Length, stream.Length);
        Assert.Equal(data.AsSpan(1_500_000).ToArray(), rest.ToArray());
        var missing = await Assert.ThrowsAsync<StorageException>(() => _driver.OpenReadAsync(target, TestDir.InstallPath(url, "nope"), 0, CancellationToken.None));
        Assert.Equal(StorageFailure.BadLocation, missing.Failure);
        var outside = await Assert.ThrowsAsync<StorageException>(() => _driver.OpenReadAsync(target, "/etc/passwd", 0, CancellationToken.None));
        Assert.Equal(StorageFailure.BadLocation, outside.Failure);
    }

    [Fact]
    public async Task Deleting_an_image_removes_its_read_only_folder_and_a_missing_one_is_fine()
    {
        var (url, target) = await ConnectedAsync();
        var path = TestDir.InstallPath(url);
        await _driver.WriteFromStreamAsync(target, new MemoryStream(TestDir.Bytes(1000)), path, new ImageExpectations(), null, CancellationToken.None);

        await _driver.DeleteImageAsync(target, path, CancellationToken.None);
        await _driver.DeleteImageAsync(target, path, CancellationToken.None);

        Assert.False(Directory.Exists(Path.GetDirectoryName(path)));
        var bad = await Assert.ThrowsAsync<StorageException>(() => _driver.DeleteImageAsync(target, url + "/../x/y/z", CancellationToken.None));
        Assert.Equal(StorageFailure.BadLocation, bad.Failure);
    }

    [Fact]
    public async Task A_file_on_the_server_is_copied_but_not_one_inside_the_storage()
    {
        var (url, target) = await ConnectedAsync();
        var data = TestDir.Bytes(300_000);
        var source = Path.Combine(_dir.Path, "source.img");
        await File.WriteAllBytesAsync(source, data);
        var link = Path.Combine(_dir.Path, "link.img");
        File.CreateSymbolicLink(link, source);

        var facts = await _driver.CopyFromHostFileAsync(target, link, TestDir.InstallPath(url), new ImageExpectations(), null, CancellationToken.None);
        Assert.Equal(TestDir.Digests(data).Sha256, facts.Sha256);

        var inside = await Assert.ThrowsAsync<StorageException>(() => _driver.CopyFromHostFileAsync(target, TestDir.InstallPath(url), TestDir.InstallPath(url, "img2"), new ImageExpectations(), null, CancellationToken.None));
        Assert.Contains("inside the backup storage", inside.Message, StringComparison.Ordinal);
        var missing = await Assert.ThrowsAsync<StorageException>(() => _driver.CopyFromHostFileAsync(target, "/nonexistent/file", TestDir.InstallPath(url, "img3"), new ImageExpectations(), null, CancellationToken.None));
        Assert.Equal(StorageFailure.SourceFailed, missing.Failure);
        Assert.False(Directory.Exists(Path.GetDirectoryName(TestDir.InstallPath(url, "img2"))));
    }

    [Fact]
    public async Task Server_files_under_the_deny_list_are_refused_also_through_a_link()
    {
        var (url, target) = await ConnectedAsync();
        var secrets = Path.Combine(_dir.Path, "secrets");
        Directory.CreateDirectory(secrets);
        await File.WriteAllTextAsync(Path.Combine(secrets, "key"), "k");
        var hidden = Path.Combine(_dir.Path, ".hidden");
        Directory.CreateDirectory(hidden);
        await File.WriteAllTextAsync(Path.Combine(hidden, "f"), "x");
        var link = Path.Combine(_dir.Path, "innocent.img");
        File.CreateSymbolicLink(link, Path.Combine(secrets, "key"));
        _driver.DeniedSourceRoots = [.. _driver.DeniedSourceRoots, secrets];

        foreach (var source in new[] { "/etc/passwd", "/proc/self/environ", Path.Combine(secrets, "key"), link, Path.Combine(hidden, "f") })
        {
            var e = await Assert.ThrowsAsync<StorageException>(() => _driver.CopyFromHostFileAsync(target, source, TestDir.InstallPath(url), new ImageExpectations(), null, CancellationToken.None));
            Assert.Equal(StorageFailure.SourceFailed, e.Failure);
            Assert.Contains("refused", e.Message, StringComparison.Ordinal);
        }

        Assert.False(Directory.Exists(Path.GetDirectoryName(TestDir.InstallPath(url))));
    }

    [Fact]
    public async Task There_is_no_host_pull_so_the_server_streams()
    {
        var (url, target) = await ConnectedAsync();
        var e = await Assert.ThrowsAsync<StorageException>(() => _driver.DownloadFromUrlAsync(target, new ImageDownload(new Uri("http://127.0.0.1:1/x"), TestDir.InstallPath(url), false, new ImageExpectations()), null, CancellationToken.None));
        Assert.Equal(StorageFailure.SourceUnreachable, e.Failure);
        Assert.False(_driver.Capabilities.HostPullsFromUrl);
    }

    [RootFact]
    public async Task A_full_disk_fails_as_no_space_and_leaves_no_part_file()
    {
        using var disk = new SmallDisk(Path.Combine(_dir.Path, "small"), 4);
        var target = TestDir.Target(disk.Url);
        await _driver.ConnectAsync(target, CancellationToken.None);
        await _driver.WriteMarkerAsync(target, CancellationToken.None);
        var before = await _driver.GetCapacityAsync(target, CancellationToken.None);
        var path = TestDir.InstallPath(disk.Url);

        var e = await Assert.ThrowsAsync<StorageException>(() => _driver.WriteFromStreamAsync(target, new MemoryStream(TestDir.Bytes(8 * 1024 * 1024)), path, new ImageExpectations(), null, CancellationToken.None));

        Assert.Equal(StorageFailure.NoSpace, e.Failure);
        Assert.Contains("no space", e.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.GetDirectoryName(path)));

        // A process started meanwhile by another test holds a copy of every descriptor between fork and exec,
        // which can delay the freeing of the deleted file's blocks for a moment.
        var after = await _driver.GetCapacityAsync(target, CancellationToken.None);
        for (var i = 0; i < 100 && after != before; i++)
        {
            await Task.Delay(100);
            after = await _driver.GetCapacityAsync(target, CancellationToken.None);
        }

        Assert.Equal(before, after);
    }

    private async Task<(string Url, BackupStorageTarget Target)> ConnectedAsync()
    {
        var url = _dir.Url();
        var target = TestDir.Target(url);
        await _driver.ConnectAsync(target, CancellationToken.None);
        await _driver.WriteMarkerAsync(target, CancellationToken.None);
        return (url, target);
    }

    /// <summary>Progress recorded on the reporting thread (Progress&lt;T&gt; would post to the pool later).</summary>
    private sealed class SyncProgress(List<long> reports) : IProgress<TransferProgress>
    {
        public void Report(TransferProgress value)
        {
            lock (reports)
            {
                reports.Add(value.BytesDone);
            }
        }
    }
}
