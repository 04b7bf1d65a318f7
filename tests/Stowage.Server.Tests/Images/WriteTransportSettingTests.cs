using Microsoft.Extensions.Configuration;
using Stowage.Server.Features.BackupStorage.Sftp;
using Stowage.Server.Hosting;
using Stowage.Sftp;

namespace Stowage.Server.Tests.Images;

public sealed class WriteTransportSettingTests
{
    [Fact]
    public void The_write_transport_setting_is_auto_or_sshnet_and_anything_else_stops_the_start()
    {
        static StowageSettings Parse(string? value) => StowageSettings.From(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["data-dir"] = Path.GetTempPath(),
            ["write-transport"] = value,
        }).Build());

        Assert.Equal(WriteTransport.Auto, SftpStorageType.ParseWriteTransport(Parse(null).WriteTransport));
        Assert.Equal(WriteTransport.SshNet, SftpStorageType.ParseWriteTransport(Parse(" SSHNET ").WriteTransport));
        var bad = Assert.Throws<InvalidOperationException>(() => new SftpStorageType(null, Parse("scp").WriteTransport));
        Assert.Contains("expected auto or sshnet", bad.Message, StringComparison.Ordinal);
    }
}
