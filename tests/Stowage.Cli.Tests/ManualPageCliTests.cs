using System.Text.Json.Nodes;
using Stowage.Cli.Tests.Infrastructure;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Cli.Tests;

/// <summary>
/// Every example command line of the backup-storage manual page, in order, run as the built stowage-cli
/// process against a real server and a real sshd. The manual's AddSftpBackupStorage line gets the test
/// sshd's host, port, user and password, and a fresh directory as url.
/// </summary>
[Collection(SshdCollection.Name)]
public sealed class ManualPageCliTests(SshdFixture sshd)
{
    [Fact]
    public async Task The_manual_page_workflow_runs_line_by_line()
    {
        await using var host = await StowageHost.StartAsync();
        using var cli = new CliSandbox(host.BaseAddress.ToString());

        var login = await cli.RunAsync("LogInByAccount", "accountName=admin", "password=password");
        Assert.True(login.ExitCode == 0, login.ToString());
        Assert.Matches("^[0-9a-f]{32}$", login.Inventory["uuid"]!.GetValue<string>());
        var sessionFile = Path.Combine(cli.ConfigDir, "session.json");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(sessionFile));
        Assert.DoesNotContain("password", File.ReadAllText(sessionFile), StringComparison.Ordinal);

        var zone = await Ok(cli, "CreateZone", "name=zone1", "description=first zone");
        var zoneUuid = zone.Inventory["uuid"]!.GetValue<string>();
        Assert.Equal("first zone", zone.Inventory["description"]!.GetValue<string>());

        var url = sshd.NewPath("sftp1");
        var added = await Ok(cli, "AddSftpBackupStorage", "name=sftp1", $"url={url}", $"hostname={sshd.Host}", $"username={sshd.User}", $"password={sshd.Password}", $"sshPort={sshd.Port}");
        var bs = added.Inventory;
        var bsUuid = bs["uuid"]!.GetValue<string>();
        Assert.Equal("SftpBackupStorage", bs["type"]!.GetValue<string>());
        Assert.Equal("Connected", bs["status"]!.GetValue<string>());
        Assert.Equal(url, bs["url"]!.GetValue<string>());
        Assert.Equal(sshd.Host, bs["hostname"]!.GetValue<string>());
        Assert.DoesNotContain(sshd.Password, added.Out, StringComparison.Ordinal);
        Assert.False(added.Json.ContainsKey("schema"));
        Assert.StartsWith("{\n    \"inventory\": {\n        \"", added.Out, StringComparison.Ordinal);

        var attached = await Ok(cli, "AttachBackupStorageToZone", $"backupStorageUuid={bsUuid}", $"zoneUuid={zoneUuid}");
        Assert.Equal([zoneUuid], attached.Inventory["attachedZoneUuids"]!.AsArray().Select(z => z!.GetValue<string>()));

        var enabled = await Ok(cli, "QueryBackupStorage", "state=Enabled");
        Assert.Equal(bsUuid, Assert.Single(enabled.Inventories)!["uuid"]!.GetValue<string>());

        // The manual's second query: no image is registered here, so no backup storage matches.
        var byImage = await cli.RunAsync("QueryBackupStorage", "image.platform=Linux");
        Assert.True(byImage.ExitCode == 0, byImage.ToString());
        Assert.Empty(Assert.IsType<System.Text.Json.Nodes.JsonArray>(System.Text.Json.Nodes.JsonNode.Parse(byImage.Out)!["inventories"]));

        // With an image registered on it, the same query finds the backup storage.
        await using (var source = await HttpSource.StartAsync())
        {
            var bytes = new byte[1 << 20];
            Random.Shared.NextBytes(bytes);
            var image = await Ok(cli, "AddImage", "name=cirros", $"url={source.Add("cirros.raw", bytes)}", "format=raw", "platform=Linux", $"backupStorageUuids={bsUuid}");
            Assert.Equal("Ready", image.Inventory["status"]!.GetValue<string>());
            Assert.Equal(bytes.Length, image.Inventory["actualSize"]!.GetValue<long>());
            var linux = await Ok(cli, "QueryBackupStorage", "image.platform=Linux");
            Assert.Equal(bsUuid, Assert.Single(linux.Inventories)!["uuid"]!.GetValue<string>());
            var images = await Ok(cli, "QueryImage", "backupStorage.name=sftp1");
            Assert.Equal("cirros", Assert.Single(images.Inventories)!["name"]!.GetValue<string>());
        }

        var sftp = await Ok(cli, "QuerySftpBackupStorage", "name=sftp1");
        var one = Assert.Single(sftp.Inventories)!;
        Assert.Equal(sshd.User, one["username"]!.GetValue<string>());
        Assert.Equal(sshd.Port, one["sshPort"]!.GetValue<int>());

        var tag = await Ok(cli, "CreateUserTag", "tag=lab1", "resourceType=BackupStorageVO", $"resourceUuid={bsUuid}");
        Assert.Equal("lab1", tag.Inventory["tag"]!.GetValue<string>());
        Assert.Equal("BackupStorageVO", tag.Inventory["resourceType"]!.GetValue<string>());
        Assert.Equal(bsUuid, tag.Inventory["resourceUuid"]!.GetValue<string>());

        var disabled = await Ok(cli, "ChangeBackupStorageState", $"uuid={bsUuid}", "stateEvent=disable");
        Assert.Equal("Disabled", disabled.Inventory["state"]!.GetValue<string>());
        Assert.Empty((await Ok(cli, "QueryBackupStorage", "state=Enabled")).Inventories);
        var reenabled = await Ok(cli, "ChangeBackupStorageState", $"uuid={bsUuid}", "stateEvent=enable");
        Assert.Equal("Enabled", reenabled.Inventory["state"]!.GetValue<string>());

        var table = await Ok(cli, "--output", "table", "QueryBackupStorage", $"uuid={bsUuid}");
        Assert.Contains("sftp1", table.Out, StringComparison.Ordinal);
        Assert.Contains("│", table.Out, StringComparison.Ordinal);

        var detached = await Ok(cli, "DetachBackupStorageFromZone", $"backupStorageUuid={bsUuid}", $"zoneUuid={zoneUuid}");
        Assert.Empty(detached.Inventory["attachedZoneUuids"]!.AsArray());

        var deleted = await Ok(cli, "DeleteBackupStorage", $"uuid={bsUuid}");
        Assert.Equal("{}", deleted.Out.Trim());
        Assert.Empty((await Ok(cli, "QueryBackupStorage", $"uuid={bsUuid}")).Inventories);

        await Ok(cli, "LogOut");
        Assert.DoesNotContain(host.BaseAddress.ToString().TrimEnd('/'), File.ReadAllText(sessionFile), StringComparison.Ordinal);
        var after = await cli.RunAsync("QueryZone");
        Assert.True(after.ExitCode == 2, after.ToString());
        Assert.Contains("not logged in", after.Err, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Query_conditions_take_every_operator_of_the_query_language()
    {
        await using var host = await StowageHost.StartAsync();
        using var cli = new CliSandbox(host.BaseAddress.ToString());
        await Ok(cli, "LogInByAccount", "accountName=admin", "password=password");
        await Ok(cli, "CreateZone", "name=alpha", "description=has one");
        await Ok(cli, "CreateZone", "name=beta");
        await Ok(cli, "CreateZone", "name=gamma ray", "description=quoted value with spaces");

        async Task<string[]> Names(params string[] args) =>
            [.. (await Ok(cli, ["QueryZone", .. args, "sortBy=name"])).Inventories.Select(i => i!["name"]!.GetValue<string>())];

        Assert.Equal(["alpha"], await Names("name=alpha"));
        Assert.Equal(["beta", "gamma ray"], await Names("name!=alpha"));
        Assert.Equal(["beta", "gamma ray"], await Names("name>alpha"));
        Assert.Equal(["alpha"], await Names("name<beta"));
        Assert.Equal(["beta", "gamma ray"], await Names("name>=beta"));
        Assert.Equal(["alpha", "beta"], await Names("name<=beta"));
        Assert.Equal(["alpha", "beta"], await Names("name?=alpha,beta"));
        Assert.Equal(["gamma ray"], await Names("name!?=alpha,beta"));
        Assert.Equal(["gamma ray"], await Names("name~=gam%"));
        Assert.Equal(["alpha", "beta"], await Names("name!~=%ray"));
        Assert.Equal(["beta"], await Names("description", "is", "null"));
        Assert.Equal(["alpha", "gamma ray"], await Names("description not null"));
        Assert.Equal(["gamma ray"], await Names("description=quoted value with spaces"));
        Assert.Equal(["alpha"], await Names("name~=%a", "description not null", "name!=gamma ray"));

        Assert.Equal(3, (await Ok(cli, "QueryZone", "count=true")).Json["total"]!.GetValue<long>());
        var page = await Ok(cli, "QueryZone", "sortBy=name", "sortDirection=desc", "limit=1", "start=1", "replyWithCount=true", "fields=uuid,name");
        Assert.Equal(3, page.Json["total"]!.GetValue<long>());
        var row = Assert.Single(page.Inventories)!.AsObject();
        Assert.Equal("beta", row["name"]!.GetValue<string>());
        Assert.Equal(["name", "uuid"], row.Select(p => p.Key).Order(StringComparer.Ordinal));
    }

    internal static async Task<CliResult> Ok(CliSandbox cli, params string[] args)
    {
        var r = await cli.RunAsync(args);
        Assert.True(r.ExitCode == 0, $"stowage-cli {string.Join(' ', args)}\n{r}");
        Assert.IsType<JsonObject>(JsonNode.Parse(r.Out.Length == 0 || r.Out[0] != '{' ? "{}" : r.Out));
        return r;
    }
}
