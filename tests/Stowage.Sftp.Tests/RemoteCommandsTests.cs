using Stowage.Core.Storage;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Sftp.Tests;

/// <summary>Unit tests of the quoting helper and the command builder; no sshd needed.</summary>
public sealed class RemoteCommandsTests
{
    [Theory]
    [InlineData("", "''")]
    [InlineData("/srv/bs", "'/srv/bs'")]
    [InlineData("it's", "'it'\\''s'")]
    [InlineData("''", "''\\'''\\'''")]
    [InlineData("a b;c", "'a b;c'")]
    [InlineData("$(touch /tmp/x)`id`", "'$(touch /tmp/x)`id`'")]
    public void Quote_UsesPosixSingleQuotes(string value, string expected) =>
        Assert.Equal(expected, RemoteCommands.Quote(value));

    [Fact]
    public void Quote_RefusesNul() =>
        Assert.Throws<ArgumentException>(() => RemoteCommands.Quote("a\0b"));

    [Theory]
    [InlineData("plain")]
    [InlineData("with space and 'single' and \"double\" quotes")]
    [InlineData("$(touch /tmp/stowage-never) `id` ${HOME} $HOME; rm -rf /nope && echo || true | cat > x")]
    [InlineData("back\\slash \\' \\\" trailing\\")]
    [InlineData("new\nline\ttab *?[glob] ~ #comment !bang")]
    [InlineData("'")]
    [InlineData("-n")]
    public void Quote_RoundTripsThroughARealShell(string value)
    {
        var printed = Proc.Run("/bin/sh", "-c", "printf '%s' " + RemoteCommands.Quote(value));
        Assert.Equal(value, printed);
    }

    [Theory]
    [InlineData("SHA256:abc", "SHA256:abc")]
    [InlineData("abc=", "SHA256:abc")]
    [InlineData(" sha256:abc== ", "SHA256:abc")]
    public void HostKeys_Normalize(string input, string expected) => Assert.Equal(expected, HostKeys.Normalize(input));

    [Fact]
    public void Endpoint_RequiresHostnameAndCredential()
    {
        var secret = new StorageSecret(StorageSecretKind.Password, "pw");
        var noHost = new BackupStorageTarget("u", "/x", new Dictionary<string, string> { ["username"] = "a" }, secret);
        Assert.Equal(StorageFailure.BadLocation, Assert.Throws<StorageException>(() => SftpEndpoint.From(noHost)).Failure);
        var noSecret = new BackupStorageTarget("u", "/x", new Dictionary<string, string> { ["hostname"] = "h", ["username"] = "a" }, null);
        Assert.Equal(StorageFailure.AuthenticationFailed, Assert.Throws<StorageException>(() => SftpEndpoint.From(noSecret)).Failure);
        var badPort = new BackupStorageTarget("u", "/x", new Dictionary<string, string> { ["hostname"] = "h", ["username"] = "a", ["sshPort"] = "70000" }, secret);
        Assert.Equal(StorageFailure.BadLocation, Assert.Throws<StorageException>(() => SftpEndpoint.From(badPort)).Failure);
    }

    [Fact]
    public void Endpoint_PoolKeyChangesWithTheSecretButDoesNotShowIt()
    {
        var settings = new Dictionary<string, string> { ["hostname"] = "h", ["username"] = "a" };
        var a = SftpEndpoint.From(new BackupStorageTarget("u", "/x", settings, new StorageSecret(StorageSecretKind.Password, "secret-one")));
        var b = SftpEndpoint.From(new BackupStorageTarget("u", "/x", settings, new StorageSecret(StorageSecretKind.Password, "secret-two")));
        Assert.NotEqual(a.PoolKey, b.PoolKey);
        Assert.DoesNotContain("secret", a.PoolKey, StringComparison.OrdinalIgnoreCase);
        Assert.Equal(22, a.Port);
    }
}
