using System.Net;
using Stowage.Cli.Tests.Infrastructure;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Cli.Tests;

/// <summary>Bad input gives a clear message and the exit code of its kind: 2 usage, 1 API error, 3 connection.</summary>
public sealed class CliErrorTests : IAsyncLifetime
{
    private StowageHost _host = null!;
    private CliSandbox _cli = null!;

    public async Task InitializeAsync()
    {
        _host = await StowageHost.StartAsync();
        _cli = new CliSandbox(_host.BaseAddress.ToString());
        await ManualPageCliTests.Ok(_cli, "LogInByAccount", "accountName=admin", "password=password");
    }

    public async Task DisposeAsync()
    {
        _cli.Dispose();
        await _host.DisposeAsync();
    }

    [Theory]
    [InlineData(new[] { "QueryBackupStorag" }, "unknown API 'QueryBackupStorag'; did you mean QueryBackupStorage?")]
    [InlineData(new[] { "AddSftpBackupStorag", "name=x" }, "did you mean AddSftpBackupStorage?")]
    [InlineData(new[] { "CreateZone", "nmae=z" }, "unknown parameter 'nmae' for CreateZone; did you mean name?")]
    [InlineData(new[] { "AddSftpBackupStorage", "name=s", "url=/s", "hostname=h", "usrname=u" }, "did you mean username?")]
    [InlineData(new[] { "AddSftpBackupStorage", "name=sftp1", "url=/storage/sftp1" }, "missing required parameters for AddSftpBackupStorage: hostname, username")]
    [InlineData(new[] { "ChangeBackupStorageState", "uuid=0123456789abcdef0123456789abcdef", "stateEvent=off" }, "bad value 'off' for parameter 'stateEvent' of ChangeBackupStorageState: choose one of: enable, disable")]
    [InlineData(new[] { "CreateZone", "name=z", "isDefault=yes" }, "bad value 'yes' for parameter 'isDefault'")]
    [InlineData(new[] { "AddSftpBackupStorage", "name=s", "url=/s", "hostname=h", "username=u", "sshPort=twenty" }, "it must be an integer from 1 to 65535")]
    [InlineData(new[] { "QueryZone", "limit=-1" }, "bad value '-1' for parameter 'limit'")]
    [InlineData(new[] { "QueryZone", "justaword" }, "bad query condition 'justaword'")]
    [InlineData(new[] { "CreateZone", "name" }, "expected key=value, got 'name'")]
    [InlineData(new[] { "CreateZone", "name=a", "name=b" }, "parameter 'name' is given twice")]
    [InlineData(new[] { "--output", "yaml", "QueryZone" }, "--output takes json or table")]
    public async Task Usage_errors_exit_2_with_a_message(string[] args, string message)
    {
        var r = await _cli.RunAsync(args);
        Assert.True(r.ExitCode == 2, r.ToString());
        Assert.Contains(message, r.Err, StringComparison.Ordinal);
        Assert.Equal("", r.Out);
    }

    [Fact]
    public async Task Server_refusals_exit_1_with_the_ZStack_error()
    {
        var r = await _cli.RunAsync("ChangeBackupStorageState", "uuid=0123456789abcdef0123456789abcdef", "stateEvent=enable");
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Matches(@"Error \[SYS\.\d{4}\]: ", r.Err);
        Assert.Contains("details: ", r.Err, StringComparison.Ordinal);

        var badLogin = await _cli.RunAsync("LogInByAccount", "accountName=admin", "password=wrong");
        Assert.True(badLogin.ExitCode == 1, badLogin.ToString());
        Assert.Contains("Error [", badLogin.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Server_down_exits_3()
    {
        using var cli = new CliSandbox($"http://127.0.0.1:{SshdFixture.FreePort()}");
        var r = await cli.RunAsync("QueryZone");
        Assert.True(r.ExitCode == 3, r.ToString());
        Assert.Contains("cannot reach the Stowage server", r.Err, StringComparison.Ordinal);
        Assert.Contains("connection refused", r.Err, StringComparison.Ordinal);

        // With the catalogue cached from an earlier run, the call itself still fails as a connection failure.
        var cached = await _cli.RunAsync("--server", $"http://127.0.0.1:{SshdFixture.FreePort()}", "QueryZone");
        Assert.True(cached.ExitCode == 3, cached.ToString());
    }

    [Fact]
    public async Task An_expired_session_asks_to_log_in_again()
    {
        // The server forgets the session (as when it expires); the saved one is then invalid.
        var session = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(_cli.ConfigDir, "session.json")))!["sessions"]!.AsObject().Single().Value!["uuid"]!.GetValue<string>();
        using var raw = _host.Client();
        Assert.Equal(HttpStatusCode.OK, (await raw.SendAsync(HttpMethod.Delete, "/accounts/sessions/" + session, auth: false)).Status);

        var r = await _cli.RunAsync("QueryZone");
        Assert.True(r.ExitCode == 1, r.ToString());
        Assert.Contains("Error [ID.1001]", r.Err, StringComparison.Ordinal);
        Assert.Contains("log in again", r.Err, StringComparison.Ordinal);
        Assert.Contains("LogInByAccount accountName=admin", r.Err, StringComparison.Ordinal);

        var next = await _cli.RunAsync("QueryZone");
        Assert.True(next.ExitCode == 2, next.ToString());
        Assert.Contains("not logged in", next.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_password_can_come_from_stdin_and_is_sent_as_sha512()
    {
        using var cli = new CliSandbox(_host.BaseAddress.ToString());
        var r = await cli.RunWithInputAsync("password\n", "LogInByAccount", "accountName=admin");
        Assert.True(r.ExitCode == 0, r.ToString());
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(cli.ConfigDir, "session.json")));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(cli.ConfigDir));
        await ManualPageCliTests.Ok(cli, "QueryZone");
    }

    [Fact]
    public async Task Help_lists_apis_and_parameters_from_the_catalogue()
    {
        var all = await _cli.RunAsync("help");
        Assert.True(all.ExitCode == 0, all.ToString());
        foreach (var api in new[] { "AddSftpBackupStorage", "QueryBackupStorage", "CreateUserTag", "LogInByAccount", "DetachBackupStorageFromZone" })
        {
            Assert.Contains(api, all.Out, StringComparison.Ordinal);
        }

        Assert.DoesNotContain("QueryZoneByUuid", all.Out, StringComparison.Ordinal);

        var one = await _cli.RunAsync("help", "ChangeBackupStorageState");
        Assert.True(one.ExitCode == 0, one.ToString());
        Assert.Contains("PUT /backup-storage/{uuid}/actions", one.Out, StringComparison.Ordinal);
        Assert.Contains("stateEvent", one.Out, StringComparison.Ordinal);
        Assert.Contains("enable, disable", one.Out, StringComparison.Ordinal);
        Assert.Contains("required", one.Out, StringComparison.Ordinal);

        var query = await _cli.RunAsync("help", "QueryBackupStorage");
        Assert.Contains("sortDirection", query.Out, StringComparison.Ordinal);
        Assert.Contains("attachedZoneUuids", query.Out, StringComparison.Ordinal);
        Assert.Contains("zone.<field of zone>", query.Out, StringComparison.Ordinal);

        var unknown = await _cli.RunAsync("help", "AddSftpBackupStorge");
        Assert.True(unknown.ExitCode == 2, unknown.ToString());
        Assert.Contains("did you mean AddSftpBackupStorage?", unknown.Err, StringComparison.Ordinal);
    }
}
