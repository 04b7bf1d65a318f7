using System.Diagnostics;
using System.Text;
using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.Protocol;
using Stowage.Sftp.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.Hardening;

/// <summary>
/// Issue 15 item 3: another local user cannot read the data directory, and the database holds no live
/// session id (a copy of it opens nothing).
/// </summary>
[Collection(StorageCollection.Name)]
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed class DataAtRestTests(StorageWorld world)
{
    private readonly SshdFixture sshd = world.Sshd;

    private const UnixFileMode GroupOrOther = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    [Fact]
    public async Task The_data_directory_is_0700_its_files_0600_and_a_loose_one_is_tightened_at_start()
    {
        // A parent every user can enter, as /var/lib is: only the data directory's own modes protect it.
        var parent = Directory.CreateTempSubdirectory("stowage-harden-").FullName;
        File.SetUnixFileMode(parent, (UnixFileMode)0b111_101_101);
        var dataDir = Path.Combine(parent, "data");
        try
        {
            string session;
            var first = await StowageHost.StartAsync(dataDir: dataDir);
            {
                // Stopped, not disposed: disposing deletes the data directory the second start needs.
                using var client = first.Client();
                session = await client.LoginAsync();
                await BsKit.AddOkAsync(client, sshd, sshd.NewPath());   // writes the key ring and an encrypted credential
                AssertPrivate(dataDir);
                Assert.Contains(Path.Combine(dataDir, "stowage.db-wal"), Directory.EnumerateFiles(dataDir));
                Assert.NotEqual(0, RunAs(sshd.User, "cat", Path.Combine(dataDir, "stowage.db")));
                Assert.NotEqual(0, RunAs(sshd.User, "cat", Path.Combine(dataDir, "stowage.db-wal")));
                await first.StopAsync();
            }

            // What an older version left: a world-readable directory and database. The next start tightens them.
            File.SetUnixFileMode(dataDir, (UnixFileMode)0b111_101_101);
            File.SetUnixFileMode(Path.Combine(dataDir, "stowage.db"), (UnixFileMode)0b110_100_100);
            File.SetUnixFileMode(Path.Combine(dataDir, "node-id"), (UnixFileMode)0b110_110_110);
            Assert.Equal(0, RunAs(sshd.User, "cat", Path.Combine(dataDir, "stowage.db")));
            await using (var host = await StowageHost.StartAsync(dataDir: dataDir))
            {
                AssertPrivate(dataDir);
                Assert.NotEqual(0, RunAs(sshd.User, "cat", Path.Combine(dataDir, "stowage.db")));

                // The session id of the first run is nowhere in the files (hashed), and it still works.
                Assert.All(Directory.EnumerateFiles(dataDir, "stowage.db*"), f =>
                    Assert.DoesNotContain(session, Encoding.ASCII.GetString(File.ReadAllBytes(f)), StringComparison.Ordinal));
                using var client = host.Client();
                client.Session = session;
                Assert.Equal(System.Net.HttpStatusCode.OK, (await client.QueryAsync("/zones")).Status);
            }
        }
        finally
        {
            Directory.Delete(parent, recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Sessions_and_the_jobs_they_start_are_stored_as_hashes(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        var session = await client.LoginAsync();
        var accepted = await client.SendAsync(HttpMethod.Post, "/zones", new System.Text.Json.Nodes.JsonObject { ["params"] = new System.Text.Json.Nodes.JsonObject { ["name"] = "z" } });
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.PollAsync(accepted)).Status);

        await using (var ctx = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext())
        {
            var stored = await ctx.Sessions.Select(s => s.Uuid).ToListAsync();
            Assert.Single(stored);
            Assert.DoesNotContain(session, stored);
            Assert.DoesNotContain(session, await ctx.ApiJobs.Select(j => j.SessionUuid).ToListAsync());

            // A stolen row is no session: presenting what the database holds is refused.
            client.Session = stored[0];
            Wire.AssertError(await client.QueryAsync("/zones"), System.Net.HttpStatusCode.ServiceUnavailable, "ID.1001");
        }

        // The clear id works, polls its job, and logs out.
        client.Session = session;
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.PollAsync(accepted)).Status);
        Assert.Equal(System.Net.HttpStatusCode.OK, (await client.SendAsync(HttpMethod.Delete, $"/accounts/sessions/{session}", auth: false)).Status);
        Wire.AssertError(await client.QueryAsync("/zones"), System.Net.HttpStatusCode.ServiceUnavailable, "ID.1001");
    }

    private static void AssertPrivate(string dataDir)
    {
        Assert.Equal((UnixFileMode)0b111_000_000, File.GetUnixFileMode(dataDir));
        foreach (var entry in Directory.EnumerateFileSystemEntries(dataDir, "*", SearchOption.AllDirectories))
        {
            Assert.True((File.GetUnixFileMode(entry) & GroupOrOther) == 0, $"{entry} is {File.GetUnixFileMode(entry)}");
        }
    }

    /// <summary>Runs a command as another local user (the tests run as root); its exit code.</summary>
    private static int RunAs(string user, params string[] command)
    {
        var psi = new ProcessStartInfo("runuser", ["-u", user, "--", .. command]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        p.StandardOutput.ReadToEnd();
        p.StandardError.ReadToEnd();
        p.WaitForExit();
        return p.ExitCode;
    }
}
