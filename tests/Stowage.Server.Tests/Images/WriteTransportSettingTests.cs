using Microsoft.Extensions.Configuration;
using Stowage.Server.Features.BackupStorage.Sftp;
using Stowage.Server.Hosting;
using Stowage.Sftp;

namespace Stowage.Server.Tests.Images;

public sealed class WriteTransportSettingTests
{
    [Fact]
    public void The_write_transport_setting_is_sshnet_by_default_or_openssh_and_anything_else_stops_the_start()
    {
        static StowageSettings Parse(string? value) => StowageSettings.From(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["data-dir"] = Path.GetTempPath(),
            ["write-transport"] = value,
        }).Build());

        Assert.Equal(WriteTransport.SshNet, SftpStorageType.ParseWriteTransport(Parse(null).WriteTransport));
        Assert.Equal(WriteTransport.SshNet, SftpStorageType.ParseWriteTransport(Parse(" SSHNET ").WriteTransport));
        Assert.Equal(WriteTransport.Auto, SftpStorageType.ParseWriteTransport(Parse("OpenSSH").WriteTransport));
        Assert.Equal(WriteTransport.Auto, SftpStorageType.ParseWriteTransport(Parse("auto").WriteTransport));
        var bad = Assert.Throws<InvalidOperationException>(() => new SftpStorageType(null, Parse("scp").WriteTransport));
        Assert.Contains("expected sshnet or openssh", bad.Message, StringComparison.Ordinal);
    }
}
