using System.Diagnostics;
using System.Text.RegularExpressions;
using Stowage.Cli.Tests.Infrastructure;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Cli.Tests;

/// <summary>Long-running APIs at the command line: live progress bars on a terminal, Ctrl-C cancels the job.</summary>
[Collection(SshdCollection.Name)]
public sealed partial class JobProgressCliTests(SshdFixture sshd)
{
    /// <summary>The CLI's exit code for a refused or failed API call (ExitCodes.ApiError).</summary>
    private const int ApiErrorExit = 1;

    [Fact]
    public async Task AddImage_on_a_terminal_draws_a_progress_bar_and_redirected_stdout_stays_pure_json()
    {
        await using var source = await HttpSource.StartAsync();
        source.SlowChunk = 96 * 1024;
        await using var host = await StowageHost.StartAsync();
        using var cli = new CliSandbox(host.BaseAddress.ToString());
        var bs = await SetUpAsync(cli);
        source.Add("a.raw", Bytes(3_000_000));

        await using (var pty = PtySession.StartCommand(cli, "AddImage", "name=on-tty", $"url={source.Url("slow", "a.raw")}", $"backupStorageUuids={bs}"))
        {
            Assert.Equal(0, await pty.WaitForExitAsync());
            Assert.Matches(SomePercent(), pty.Screen);
            Assert.Contains("/s", pty.Screen, StringComparison.Ordinal);
            Assert.Contains("\"status\": \"Ready\"", pty.Screen, StringComparison.Ordinal);
        }

        var piped = await cli.RunAsync("AddImage", "name=piped", $"url={source.Url("slow", "a.raw")}", $"backupStorageUuids={bs}");
        Assert.True(piped.ExitCode == 0, piped.ToString());
        Assert.Equal("piped", piped.Inventory["name"]!.GetValue<string>());
        Assert.DoesNotContain("%", piped.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Ctrl_C_on_a_terminal_asks_then_cancels_the_job_and_without_a_terminal_cancels_at_once()
    {
        await using var source = await HttpSource.StartAsync();
        await using var host = await StowageHost.StartAsync();
        using var cli = new CliSandbox(host.BaseAddress.ToString());
        var bs = await SetUpAsync(cli);
        source.Add("big.raw", Bytes(30_000_000));
        var url = $"url={source.Url("slow", "big.raw")}";

        await using (var pty = PtySession.StartCommand(cli, "AddImage", "name=asked", url, $"backupStorageUuids={bs}"))
        {
            await pty.ExpectAsync("%");
            await pty.SendAsync("\u0003");
            await pty.ExpectAsync("Cancel the job? [y/N]");
            await pty.SendAsync("y\r");
            Assert.Equal(ApiErrorExit, await pty.WaitForExitAsync());
            Assert.Contains("cancelled by the user", pty.Screen, StringComparison.Ordinal);
        }

        var psi = cli.InterruptibleStartInfo("dotnet", [CliSandbox.CliDll, "AddImage", "name=direct", url, $"backupStorageUuids={bs}"]);
        using (var p = Process.Start(psi)!)
        {
            var stdout = p.StandardOutput.ReadToEndAsync();
            var stderr = p.StandardError.ReadToEndAsync();
            await WaitForDownloadAsync(cli);
            Proc.Run("kill", "-INT", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await p.WaitForExitAsync(timeout.Token);
            var err = await stderr;
            Assert.True(p.ExitCode == ApiErrorExit, $"exit {p.ExitCode}\n{await stdout}\n{err}");
            Assert.Equal("", await stdout);
            Assert.Contains("cancelled by the user", err, StringComparison.Ordinal);
        }

        Assert.Empty((await ManualPageCliTests.Ok(cli, "QueryImage")).Inventories);
    }

    [GeneratedRegex(@"\b([1-9]\d?|100)%")]
    private static partial Regex SomePercent();

    private async Task<string> SetUpAsync(CliSandbox cli)
    {
        await ManualPageCliTests.Ok(cli, "LogInByAccount", "accountName=admin", "password=password");
        var bs = await ManualPageCliTests.Ok(
            cli, "AddSftpBackupStorage", "name=bs", $"url={sshd.NewPath()}", $"hostname={sshd.Host}", $"username={sshd.User}",
            $"password={sshd.Password}", $"sshPort={sshd.Port}", "importImages=false");
        return bs.Inventory["uuid"]!.GetValue<string>();
    }

    /// <summary>Waits until the image being added shows up as Downloading, so the job is in its transfer.</summary>
    private static async Task WaitForDownloadAsync(CliSandbox cli)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (DateTime.UtcNow < deadline)
        {
            var r = await cli.RunAsync("QueryImage", "name=direct", "status=Downloading");
            if (r.ExitCode == 0 && r.Inventories.Count > 0)
            {
                await Task.Delay(1500);
                return;
            }

            await Task.Delay(300);
        }

        Assert.Fail("the image never started downloading");
    }

    private static byte[] Bytes(int size)
    {
        var b = new byte[size];
        Random.Shared.NextBytes(b);
        return b;
    }
}
