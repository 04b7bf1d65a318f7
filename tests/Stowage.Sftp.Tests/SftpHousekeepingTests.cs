using Stowage.Core.Storage;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Sftp.Tests;

/// <summary>Listing, confined deletion and the metadata file of the SFTP driver against a real sshd.</summary>
[Collection(SshdCollection.Name)]
public sealed class SftpHousekeepingTests(SshdFixture sshd) : IDisposable
{
    private readonly SftpBackupStorageDriver _driver = new();

    public void Dispose() => _driver.Dispose();

    [Fact]
    public async Task Lists_files_under_the_image_folders_with_size_and_time_only()
    {
        var url = sshd.NewOwnedDir();
        var target = sshd.Target(url);
        Assert.Empty(await _driver.ListImageFilesAsync(target, CancellationToken.None));
        Write(url, "rootVolumeTemplates/acct-a/img1/x y.template", 1000);
        Write(url, "iso/acct-a/img2/b.iso.stowage-part", 10);
        Write(url, "elsewhere/c", 5);
        File.SetLastWriteTimeUtc(Path.Combine(url, "iso/acct-a/img2/b.iso.stowage-part"), new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc));
        Proc.Run("chown", "-R", $"{sshd.User}:", url);

        var files = (await _driver.ListImageFilesAsync(target, CancellationToken.None)).OrderBy(f => f.RelativePath, StringComparer.Ordinal).ToList();

        Assert.Equal(["iso/acct-a/img2/b.iso.stowage-part", "rootVolumeTemplates/acct-a/img1/x y.template"], files.Select(f => f.RelativePath));
        Assert.Equal([10L, 1000L], files.Select(f => f.Size));
        Assert.Equal(new DateTime(2020, 1, 2, 3, 4, 5, DateTimeKind.Utc), files[0].ModifiedUtc, TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Deletes_inside_the_url_and_the_folders_left_empty_but_refuses_anything_else()
    {
        var url = sshd.NewOwnedDir();
        var outside = sshd.NewOwnedDir("outside");
        Write(outside, "keep", 3);
        Write(url, "rootVolumeTemplates/acct-a/img1/f.template", 10);
        Write(url, "rootVolumeTemplates/acct-a/img2/g.template", 10);
        Directory.CreateSymbolicLink(Path.Combine(url, "rootVolumeTemplates/acct-a/evil"), outside);
        Proc.Run("chown", "-R", "-h", $"{sshd.User}:", url);
        var target = sshd.Target(url);

        await _driver.DeletePathAsync(target, "rootVolumeTemplates/acct-a/img1", CancellationToken.None);
        Assert.False(Directory.Exists(Path.Combine(url, "rootVolumeTemplates/acct-a/img1")));
        Assert.True(File.Exists(Path.Combine(url, "rootVolumeTemplates/acct-a/img2/g.template")));
        await _driver.DeletePathAsync(target, "rootVolumeTemplates/acct-a/img1", CancellationToken.None);

        foreach (var bad in new[] { "../outside/keep", "rootVolumeTemplates/../../x", "/etc/passwd", "elsewhere/c", "rootVolumeTemplates", "" })
        {
            var e = await Assert.ThrowsAsync<StorageException>(() => _driver.DeletePathAsync(target, bad, CancellationToken.None));
            Assert.Equal(StorageFailure.BadLocation, e.Failure);
        }

        var through = await Assert.ThrowsAsync<StorageException>(() => _driver.DeletePathAsync(target, "rootVolumeTemplates/acct-a/evil/keep", CancellationToken.None));
        Assert.Contains("outside", through.Message, StringComparison.Ordinal);
        Assert.True(File.Exists(Path.Combine(outside, "keep")));

        // The link itself is inside the url and may go; its target stays.
        await _driver.DeletePathAsync(target, "rootVolumeTemplates/acct-a/evil", CancellationToken.None);
        Assert.True(File.Exists(Path.Combine(outside, "keep")));

        await _driver.DeletePathAsync(target, "rootVolumeTemplates/acct-a/img2/g.template", CancellationToken.None);
        Assert.False(Directory.Exists(Path.Combine(url, "rootVolumeTemplates/acct-a")));
        Assert.True(Directory.Exists(Path.Combine(url, "rootVolumeTemplates")));
    }

    [Fact]
    public async Task Metadata_file_is_replaced_whole_and_an_empty_one_is_not_created()
    {
        var url = sshd.NewOwnedDir();
        var target = sshd.Target(url);
        var file = Path.Combine(url, "bs_sftp_info.json");
        Assert.Null(await _driver.ReadMetadataAsync(target, CancellationToken.None));
        await _driver.WriteMetadataAsync(target, string.Empty, CancellationToken.None);
        Assert.False(File.Exists(file));

        var big = string.Concat(Enumerable.Range(0, 2000).Select(i => $"{{\"uuid\":\"{i:x32}\",\"name\":\"it's \\\"$(x)\\\"\"}}\n"));
        await _driver.WriteMetadataAsync(target, big, CancellationToken.None);
        Assert.Equal(big, await File.ReadAllTextAsync(file));
        Assert.Equal(big, await _driver.ReadMetadataAsync(target, CancellationToken.None));

        await _driver.WriteMetadataAsync(target, string.Empty, CancellationToken.None);
        Assert.Equal(string.Empty, await File.ReadAllTextAsync(file));
        Assert.Equal([file], Directory.GetFiles(url).Where(f => !f.EndsWith(".stowage-backup-storage", StringComparison.Ordinal)));
    }

    private static void Write(string root, string rel, int size)
    {
        var path = Path.Combine(root, rel);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, new byte[size]);
    }
}
