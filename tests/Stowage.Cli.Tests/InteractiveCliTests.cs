using Stowage.Cli.Tests.Infrastructure;
using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Cli.Tests;

/// <summary>The interactive mode on a pseudo-terminal: Tab completion and the history file.</summary>
public sealed class InteractiveCliTests
{
    private const string Prompt = "stowage >>> ";

    [Fact]
    public async Task Tab_completes_api_names_parameters_choices_and_uuids_and_history_persists()
    {
        await using var host = await StowageHost.StartAsync();
        using var cli = new CliSandbox(host.BaseAddress.ToString());
        await ManualPageCliTests.Ok(cli, "LogInByAccount", "accountName=admin", "password=password");
        var zoneUuid = (await ManualPageCliTests.Ok(cli, "CreateZone", "name=zone1")).Inventory["uuid"]!.GetValue<string>();

        await using (var pty = PtySession.Start(cli))
        {
            await pty.ExpectAsync(Prompt);

            // API name: "ChangeZoneS" is unique → completed with a trailing space.
            await pty.SendAsync("ChangeZoneS\t");
            await pty.ExpectAsync(Prompt + "ChangeZoneState ");

            // Parameter name, then the uuid of the only zone, asked from the server.
            await pty.SendAsync("uu\t");
            await pty.ExpectAsync("ChangeZoneState uuid=");
            await pty.SendAsync("\t");
            await pty.ExpectAsync($"ChangeZoneState uuid={zoneUuid} ");

            // A choice.
            await pty.SendAsync("stateEvent=dis\t");
            await pty.ExpectAsync($"uuid={zoneUuid} stateEvent=disable ");
            await pty.SendAsync("\r");
            await pty.ExpectAsync("\"state\": \"Disabled\"");
            await pty.ExpectAsync(Prompt);

            // Several matches are listed.
            await pty.SendAsync("Query\t");
            await pty.ExpectAsync("QuerySftpBackupStorage");
            await pty.SendAsync("\u0015");

            // A secret value never reaches the history.
            await pty.SendAsync("LogInByAccount accountName=admin password=password\r");
            await pty.ExpectAsync("\"accountUuid\"");
            await pty.ExpectAsync(Prompt);
            Assert.Equal(0, await pty.ExitAsync());
        }

        var history = File.ReadAllLines(Path.Combine(cli.ConfigDir, "history"));
        Assert.Equal([$"ChangeZoneState uuid={zoneUuid} stateEvent=disable", "LogInByAccount accountName=admin"], history);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Path.Combine(cli.ConfigDir, "history")));

        // A new session recalls the history with the Up arrow.
        await ManualPageCliTests.Ok(cli, "ChangeZoneState", $"uuid={zoneUuid}", "stateEvent=enable");
        await using (var pty = PtySession.Start(cli))
        {
            await pty.ExpectAsync(Prompt);
            await pty.SendAsync("\u001b[A\u001b[A");
            await pty.ExpectAsync($"ChangeZoneState uuid={zoneUuid} stateEvent=disable");
            await pty.SendAsync("\r");
            await pty.ExpectAsync("\"state\": \"Disabled\"");
            await pty.ExpectAsync(Prompt);

            // Errors do not end the session.
            await pty.SendAsync("QueryZon\r");
            await pty.ExpectAsync("did you mean QueryZone?");
            await pty.ExpectAsync(Prompt);
            Assert.Equal(0, await pty.ExitAsync());
        }
    }
}
