using Stowage.Core.Storage;

namespace Stowage.ObjectStore.Tests;

public sealed class ObjectStoreLocationTests
{
    private static BackupStorageTarget Target(string url) => new(new string('b', 32), url, new Dictionary<string, string>(), null);

    [Theory]
    [InlineData("box", "box", "")]
    [InlineData("box/images/zone1", "box", "images/zone1")]
    [InlineData("/box/p/", "box", "p")]
    public void A_url_is_a_container_and_a_key_prefix(string url, string container, string prefix)
    {
        var location = ObjectStoreLocation.Parse(Target(url));

        Assert.Equal((container, prefix), (location.Container, location.Prefix));
    }

    [Theory]
    [InlineData("")]
    [InlineData("box/../other")]
    [InlineData("box//p")]
    [InlineData("box/./p")]
    public void A_url_that_is_not_container_and_prefix_is_refused(string url)
    {
        var e = Assert.Throws<StorageException>(() => ObjectStoreLocation.Parse(Target(url)));

        Assert.Equal(StorageFailure.BadLocation, e.Failure);
    }

    [Fact]
    public void An_install_path_becomes_the_key_without_the_container()
    {
        var target = Target("box/p");

        Assert.Equal("p/iso/acct-a/img/x.iso", ObjectStoreLocation.Parse(target).KeyOf(target, "box/p/iso/acct-a/img/x.iso"));
    }

    [Theory]
    [InlineData("other/p/iso/acct-a/img/x.iso")]
    [InlineData("box/q/iso/acct-a/img/x.iso")]
    [InlineData("box/p/iso/acct-a/../../../x.iso")]
    [InlineData("box/p/notAnImageRoot/a/b")]
    [InlineData("box/p/iso")]
    [InlineData("box/p/.stowage-backup-storage")]
    public void An_install_path_outside_the_image_folders_of_the_url_is_refused(string installPath)
    {
        var target = Target("box/p");

        var e = Assert.Throws<StorageException>(() => ObjectStoreLocation.Parse(target).KeyOf(target, installPath));

        Assert.Equal(StorageFailure.BadLocation, e.Failure);
    }

    [Fact]
    public void The_image_header_gives_qcow2_virtual_size_and_iso()
    {
        var qcow = new byte[64];
        "QFI"u8.CopyTo(qcow);
        qcow[3] = 0xfb;
        qcow[24 + 7] = 0x40; // 64 bytes, big endian at offset 24
        var iso = new byte[ImageHeader.Needed];
        "CD001"u8.CopyTo(iso.AsSpan(32769));

        Assert.Equal(("qcow2", 64L), ImageHeader.Probe(qcow, 1000));
        Assert.Equal(("iso", 40000L), ImageHeader.Probe(iso, 40000));
        Assert.Equal(("raw", 10L), ImageHeader.Probe(new byte[10], 10));
    }
}
