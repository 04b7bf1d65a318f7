using Stowage.Sftp;

namespace Stowage.Sftp.Tests;

public sealed class ExportKeyCommandsTests
{
    [Fact]
    public void Export_forced_command_quotes_the_url_for_the_shell_and_authorized_keys()
    {
        var args = DownloadKeyCommands.ForcedArguments("/data/it's \"x\" 100%");
        Assert.Equal("-R -d '/data/it'\\''s \\\"x\\\" 100%%' -p " + DownloadKeyCommands.AllowedRequests, args);
        Assert.Throws<ArgumentException>(() => DownloadKeyCommands.ForcedArguments("/data/a\nb"));
    }

    [Fact]
    public void Export_key_scripts_refuse_malformed_keys_and_tags()
    {
        Assert.Throws<ArgumentException>(() => DownloadKeyCommands.Install("/d", "ssh-ed25519 AAAA x\nssh-rsa B", "stowage-download-a"));
        Assert.Throws<ArgumentException>(() => DownloadKeyCommands.Remove("bad tag'"));
        var script = DownloadKeyCommands.Install("/d", "ssh-ed25519 AAAAC3Nza", "stowage-download-ab12");
        Assert.Contains("k='ssh-ed25519 AAAAC3Nza'", script, StringComparison.Ordinal);
        Assert.Contains("mv -f -- \"$t\" \"$f\"", script, StringComparison.Ordinal);
    }
}
