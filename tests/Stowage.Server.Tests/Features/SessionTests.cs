using System.Net;
using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Stowage.Persistence;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.Protocol;

namespace Stowage.Server.Tests.Features;

/// <summary>LogInByAccount, LogOut, ValidateSession and what an Authorization header must hold.</summary>
public sealed class SessionTests
{
    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Calls_without_or_with_a_bad_session_are_refused_the_zstack_way(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();

        var missing = await client.SendAsync(HttpMethod.Get, "/zones");
        Assert.Equal(HttpStatusCode.BadRequest, missing.Status);
        Assert.Contains("missing header 'Authorization'", missing.Body);

        var wrongScheme = await Wire.RawAsync(client.Http, HttpMethod.Get, "/zstack/v1/zones", headers: new Dictionary<string, string> { ["Authorization"] = "Bearer abc" });
        Assert.Equal(HttpStatusCode.BadRequest, wrongScheme.Status);

        client.Session = Guid.NewGuid().ToString("N");
        Wire.AssertError(await client.SendAsync(HttpMethod.Get, "/zones"), HttpStatusCode.ServiceUnavailable, "ID.1001");

        // Async APIs too answer a bad session at once: no job exists for a caller who is not logged in.
        Wire.AssertError(await client.SendAsync(HttpMethod.Post, "/zones", new JsonObject { ["params"] = new JsonObject { ["name"] = "z" } }), HttpStatusCode.ServiceUnavailable, "ID.1001");

        client.Session = "not-a-uuid";
        Wire.AssertError(await client.SendAsync(HttpMethod.Get, "/zones"), HttpStatusCode.ServiceUnavailable, "ID.1001");

        client.Session = null;
        Assert.Equal(HttpStatusCode.BadRequest, (await client.SendAsync(HttpMethod.Post, "/zones", new JsonObject { ["params"] = new JsonObject { ["name"] = "z" } })).Status);

        await client.LoginAsync();
        Assert.Empty(ZStackClient.Inventories(await client.QueryAsync("/zones")));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task Wrong_credentials_are_an_api_error(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        var login = (string account, string password) => client.SendAsync(HttpMethod.Put, "/accounts/login",
            new JsonObject { ["logInByAccount"] = new JsonObject { ["accountName"] = account, ["password"] = password } }, auth: false);

        Wire.AssertError(await login("admin", ZStackClient.Sha512("wrong")), HttpStatusCode.ServiceUnavailable, "ID.1000");
        Wire.AssertError(await login("admin", "password"), HttpStatusCode.ServiceUnavailable, "ID.1000"); // the clear text is not the digest
        Wire.AssertError(await login("nobody", ZStackClient.AdminPasswordSha512), HttpStatusCode.ServiceUnavailable, "ID.1000");
        var noPassword = await client.SendAsync(HttpMethod.Put, "/accounts/login", new JsonObject { ["logInByAccount"] = new JsonObject { ["accountName"] = "admin" } }, auth: false);
        Wire.AssertError(noPassword, HttpStatusCode.ServiceUnavailable, "SYS.1007");
        Wire.AssertOk(await login("admin", ZStackClient.AdminPasswordSha512.ToUpperInvariant()));
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task LogOut_ends_the_session_and_ValidateSession_tells(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        var session = await client.LoginAsync();
        using var other = host.Client();
        var otherSession = await other.LoginAsync();
        Assert.NotEqual(session, otherSession);

        var valid = await client.SendAsync(HttpMethod.Get, $"/accounts/sessions/{session}/valid", auth: false);
        Assert.Equal("""{"valid":true}""", valid.Body);

        var logout = await client.SendAsync(HttpMethod.Delete, $"/accounts/sessions/{session}", auth: false);
        Wire.AssertOk(logout);
        Assert.Equal("{}", logout.Body);
        Assert.Equal("""{"valid":false}""", (await client.SendAsync(HttpMethod.Get, $"/accounts/sessions/{session}/valid", auth: false)).Body);
        Wire.AssertError(await client.SendAsync(HttpMethod.Get, "/zones"), HttpStatusCode.ServiceUnavailable, "ID.1001");

        // Logging out twice, or an unknown session, is harmless; the other session lives on.
        Wire.AssertOk(await client.SendAsync(HttpMethod.Delete, $"/accounts/sessions/{session}", auth: false));
        Assert.Equal("""{"valid":false}""", (await client.SendAsync(HttpMethod.Get, "/accounts/sessions/garbage/valid", auth: false)).Body);
        Wire.AssertOk(await other.QueryAsync("/zones"));
    }

    [Fact]
    public async Task Sessions_expire_after_identity_session_timeout()
    {
        await using var host = await StowageHost.StartAsync(fakeClock: true);
        var clock = host.Clock!;
        using var client = host.Client();
        var session = await client.LoginAsync();
        var inventory = (await client.SendAsync(HttpMethod.Get, $"/accounts/sessions/{session}/valid", auth: false)).Json;
        Assert.True(inventory!["valid"]!.GetValue<bool>());

        clock.Advance(TimeSpan.FromSeconds(7199));
        Wire.AssertOk(await client.QueryAsync("/zones"));
        clock.Advance(TimeSpan.FromSeconds(2));
        Wire.AssertError(await client.QueryAsync("/zones"), HttpStatusCode.ServiceUnavailable, "ID.1001");
        Assert.Equal("""{"valid":false}""", (await client.SendAsync(HttpMethod.Get, $"/accounts/sessions/{session}/valid", auth: false)).Body);

        // A shorter timeout applies to sessions opened afterwards.
        await client.LoginAsync();
        Wire.AssertOk(await client.CallAsync(HttpMethod.Put, "/global-configurations/identity/session.timeout/actions",
            new JsonObject { ["updateGlobalConfig"] = new JsonObject { ["value"] = "60" } }));
        var login = await client.SendAsync(HttpMethod.Put, "/accounts/login",
            new JsonObject { ["logInByAccount"] = new JsonObject { ["accountName"] = "admin", ["password"] = ZStackClient.AdminPasswordSha512 } }, auth: false);
        var created = login.Json!["inventory"]!["createDate"]!.GetValue<string>();
        var expires = login.Json!["inventory"]!["expiredDate"]!.GetValue<string>();
        Assert.Equal(TimeSpan.FromSeconds(60), Parse(expires) - Parse(created));
        client.Session = login.Json!["inventory"]!["uuid"]!.GetValue<string>();
        clock.Advance(TimeSpan.FromSeconds(61));
        Wire.AssertError(await client.QueryAsync("/zones"), HttpStatusCode.ServiceUnavailable, "ID.1001");

        static DateTime Parse(string s) => DateTime.ParseExact(s, "MMM d, yyyy h:mm:ss tt", System.Globalization.CultureInfo.InvariantCulture);
    }

    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task The_password_is_not_stored_in_clear_nor_as_the_client_digest(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        await using var ctx = host.Services.GetRequiredService<StowageDbContextFactory>().CreateDbContext();
        var admin = await ctx.Accounts.AsNoTracking().SingleAsync(a => a.Name == "admin");
        Assert.DoesNotContain("password", admin.PasswordHash, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(ZStackClient.AdminPasswordSha512, admin.PasswordHash, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Convert.ToBase64String(Convert.FromHexString(ZStackClient.AdminPasswordSha512)), admin.PasswordHash, StringComparison.Ordinal);

        // Nor anywhere else in the account row.
        var row = string.Join("|", admin.Uuid, admin.Name, admin.Type, admin.PasswordHash);
        Assert.DoesNotContain(ZStackClient.AdminPasswordSha512[..32], row, StringComparison.OrdinalIgnoreCase);
    }
}
