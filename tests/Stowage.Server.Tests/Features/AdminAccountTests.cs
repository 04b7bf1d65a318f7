using System.Net;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Stowage.Persistence;
using Stowage.Server.Hosting;
using Stowage.Server.Identity;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.Protocol;

namespace Stowage.Server.Tests.Features;

/// <summary>The built-in admin account: the default password stays on loopback, STOWAGE_ADMIN_PASSWORD replaces it.</summary>
public sealed class AdminAccountTests
{
    [Theory]
    [InlineData("http://0.0.0.0:8080")]
    [InlineData("http://*:8080")]
    [InlineData("http://+:8080")]
    [InlineData("http://10.0.0.5:8080")]
    [InlineData("http://[::]:8080")]
    [InlineData("http://mgmt.example.com:8080")]
    public void The_default_password_is_refused_beyond_loopback(string url)
    {
        var e = Assert.Throws<InvalidOperationException>(() => AdminAccount.EnsureSafe(null, [url]));
        Assert.Contains("STOWAGE_ADMIN_PASSWORD", e.Message);
        Assert.Throws<InvalidOperationException>(() => AdminAccount.EnsureSafe(string.Empty, ["http://127.0.0.1:8080", url]));
        AdminAccount.EnsureSafe("a-real-password", [url]);
    }

    [Theory]
    [InlineData("http://127.0.0.1:8080")]
    [InlineData("http://127.0.0.2:0")]
    [InlineData("http://localhost:8080")]
    [InlineData("http://[::1]:8080")]
    [InlineData("https://LOCALHOST")]
    public void The_default_password_is_accepted_on_loopback(string url) => AdminAccount.EnsureSafe(null, [url]);

    [Fact]
    public void STOWAGE_ADMIN_PASSWORD_is_read_from_the_environment_configuration()
    {
        var config = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["STOWAGE_ADMIN_PASSWORD"] = "from-env",
            ["data-dir"] = Path.GetTempPath(),
            ["urls"] = "http://0.0.0.0:8080",
        }).Build();
        var settings = StowageSettings.From(config);
        Assert.Equal("from-env", settings.AdminPassword);
        AdminAccount.EnsureSafe(settings.AdminPassword, settings.Urls);

        var blank = StowageSettings.From(new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["STOWAGE_ADMIN_PASSWORD"] = "  ", ["urls"] = "http://0.0.0.0:8080" }).Build());
        Assert.Null(blank.AdminPassword);
        Assert.Throws<InvalidOperationException>(() => AdminAccount.EnsureSafe(blank.AdminPassword, blank.Urls));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task A_configured_password_replaces_the_default_and_ends_old_sessions(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        var oldSession = await client.LoginAsync();

        // What the server does at start-up when STOWAGE_ADMIN_PASSWORD is set.
        var factory = host.Services.GetRequiredService<StowageDbContextFactory>();
        await AdminAccount.SeedAsync(factory, "n3w-Secret", TimeProvider.System, CancellationToken.None);

        Wire.AssertError(await client.QueryAsync("/zones"), HttpStatusCode.ServiceUnavailable, "ID.1001");
        Assert.Equal("""{"valid":false}""", (await client.SendAsync(HttpMethod.Get, $"/accounts/sessions/{oldSession}/valid", auth: false)).Body);
        await Assert.ThrowsAsync<InvalidOperationException>(() => client.LoginAsync());
        await client.LoginAsync(passwordSha512: ZStackClient.Sha512("n3w-Secret"));
        Wire.AssertOk(await client.QueryAsync("/zones"));

        // Seeding again with the same password keeps sessions; going back to no password restores the default.
        await AdminAccount.SeedAsync(factory, "n3w-Secret", TimeProvider.System, CancellationToken.None);
        Wire.AssertOk(await client.QueryAsync("/zones"));
        await AdminAccount.SeedAsync(factory, null, TimeProvider.System, CancellationToken.None);
        await client.LoginAsync();
    }
}
