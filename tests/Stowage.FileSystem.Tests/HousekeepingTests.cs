using Stowage.Core.Storage;

namespace Stowage.FileSystem.Tests;

/// <summary>Listing, confined deletion and the metadata file, with the SFTP type's rules.</summary>
public sealed class HousekeepingTests : IDisposable
{
    private readonly TestDir _dir = new();
    private readonly FileSystemBackupStorageDriver _driver = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Lists_regular_files_under_the_image_folders_only_and_not_through_links()
    {
        var url = _dir.Url();
        var target = TestDir.Target(url);
        await _driver.ConnectAsync(target, CancellationToken.None);
        Assert.Empty(await _driver.ListImageFilesAsync(target, CancellationToken.None));
        Write(url, "rootVolumeTemplates/acct-a/img1/x y.template", 1000);
        Write(url, "iso/acct-a/img2/b.iso.stowage-part", 10);
        Write(url, "elsewhere/c", 5);
        var outside = Path.Combine(_dir.Path, "outside");
        Write(outside, "acct-z/img/secret", 7);
        Directory.CreateSymbolicLink(Path.Combine(url, "volumes"), outside);
        Directory.CreateSymbolicLink(Path.Combine(url, "iso/acct-a/linked"), outside);
        File.SetLastWriteTimeUtc(Path.Combine(url, "iso/acct-a/img2/b.iso.stowage-part"), new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc));

        var files = (await _driver.ListImageFilesAsync(target, CancellationToken.None)).OrderBy(f => f.RelativePath, StringComparer.Ordinal).ToList();

        Assert.Equal(["iso/acct-a/img2/b.iso.stowage-part", "rootVolumeTemplates/acct-a/img1/x y.template"], files.Select(f => f.RelativePath));
        Assert.Equal([10L, 1000L], files.Select(f => f.Size));
        Assert.Equal(new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc), files[0].ModifiedUtc, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Deletes_inside_the_url_and_the_folders_left_empty_but_refuses_anything_else()
    {
        var url = _dir.Url();
        var target = TestDir.Target(url);
        await _driver.ConnectAsync(target, CancellationToken.None);
        var outside = Path.Combine(_dir.Path, "outside");
        Write(outside, "keep", 3);
        Write(url, "rootVolumeTemplates/acct-a/img1/f.template", 10);
        File.SetUnixFileMode(Path.Combine(url, "rootVolumeTemplates/acct-a/img1/f.template"), UnixFileMode.UserRead);
        Write(url, "rootVolumeTemplates/acct-b/img2/g.template", 10);
        Directory.CreateSymbolicLink(Path.Combine(url, "rootVolumeTemplates/acct-b/evil"), outside);

        await _driver.DeletePathAsync(target, "rootVolumeTemplates/acct-a/img1/f.template", CancellationToken.None);
        Assert.False(Directory.Exists(Path.Combine(url, "rootVolumeTemplates/acct-a")));
        Assert.True(Directory.Exists(Path.Combine(url, "rootVolumeTemplates")));
        await _driver.DeletePathAsync(target, "rootVolumeTemplates/acct-a/img1", CancellationToken.None);

        foreach (var bad in new[] { "../outside/keep", "rootVolumeTemplates/../../x", "/etc/passwd", "elsewhere/c", "rootVolumeTemplates", "" })
        {
            var e = await Assert.ThrowsAsync<StorageException>(() => _driver.DeletePathAsync(target, bad, CancellationToken.None));
            Assert.Equal(StorageFailure.BadLocation, e.Failure);
        }

        var through = await Assert.ThrowsAsync<StorageException>(() => _driver.DeletePathAsync(target, "rootVolumeTemplates/acct-b/evil/keep", CancellationToken.None));
        Assert.Contains("outside", through.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(outside, "keep")));

        // The link itself is inside the url and may go; its target stays.
        await _driver.DeletePathAsync(target, "rootVolumeTemplates/acct-b/evil", CancellationToken.None);
        Assert.True(File.Exists(Path.Combine(outside, "keep")));
        Assert.True(File.Exists(Path.Combine(url, "rootVolumeTemplates/acct-b/img2/g.template")));
    }

    [Fact]
    public async Task The_metadata_file_is_bs_sftp_info_json_replaced_whole_and_not_created_empty()
    {
        var url = _dir.Url();
        var target = TestDir.Target(url);
        await _driver.ConnectAsync(target, CancellationToken.None);
        Assert.Null(await _driver.ReadMetadataAsync(target, CancellationToken.None));

        await _driver.WriteMetadataAsync(target, string.Empty, CancellationToken.None);
        Assert.False(File.Exists(Path.Combine(url, "bs_sftp_info.json")));

        var content = "{\"uuid\":\"a\",\"name\":\"é\"}\n{\"uuid\":\"b\"}\n";
        await _driver.WriteMetadataAsync(target, content, CancellationToken.None);
        Assert.Equal(content, await File.ReadAllTextAsync(Path.Combine(url, "bs_sftp_info.json")));
        Assert.Equal(content, await _driver.ReadMetadataAsync(target, CancellationToken.None));

        await _driver.WriteMetadataAsync(target, string.Empty, CancellationToken.None);
        Assert.Equal(string.Empty, await _driver.ReadMetadataAsync(target, CancellationToken.None));
        Assert.Equal(["bs_sftp_info.json"], Directory.EnumerateFiles(url).Select(Path.GetFileName).Where(n => n != FileStoreDriver.MarkerFileName));
    }

    private static void Write(string root, string relative, int size)
    {
        var path = Path.Combine(root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, new byte[size]);
    }
}
