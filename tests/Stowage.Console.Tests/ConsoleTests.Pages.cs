using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Console.Tests;

/// <summary>Every page, sessions ending, and the accessibility check of each page in both themes and at phone width.</summary>
public sealed partial class ConsoleTests
{
    [Fact]
    public async Task Pages_sessions_and_accessibility()
    {
        var violations = new List<string>();
        B.Go("");
        B.Js("sessionStorage.clear();");
        B.Go("#/dashboard");
        B.Driver.Navigate().Refresh();
        B.Find("form.login");
        Check("login", violations);

        // A wrong password shows the API's error, description and details.
        B.Type("form.login input[name=password]", "wrong");
        B.Click("form.login button[type=submit]");
        B.Find("form.login .error");

        Login();
        B.Find("#bs-cards");
        Check("dashboard", violations);

        B.Go("#/zones");
        B.Type("form[data-api=CreateZone] [name=name]", "zone-console");
        B.Click("form[data-api=CreateZone] button[type=submit]");
        B.UntilText("#zone-list", "zone-console");
        Check("zones", violations);

        // A config the validator refuses: its message is shown next to the field.
        B.Go("#/configs");
        var input = B.Find("form.cfg[data-key='backupStorage/ping.parallelismDegree'] input");
        input.Clear();
        input.SendKeys("many");
        B.Click("form.cfg[data-key='backupStorage/ping.parallelismDegree'] button");
        B.Find("form.cfg[data-key='backupStorage/ping.parallelismDegree'] .error");
        Check("configs", violations);

        // A user tag on that zone, created and deleted (after the confirmation) from the tags page.
        string zoneUuid;
        using (var api = f.Host.Client())
        {
            await api.LoginAsync();
            var zones = await api.SendAsync(HttpMethod.Get, "/zones?q=name=zone-console");
            zoneUuid = ZStackClient.Inventories(zones)[0]!["uuid"]!.GetValue<string>();
        }

        B.Go("#/tags");
        B.Type("form[data-api=CreateUserTag] [name=resourceType]", "ZoneVO");
        B.Type("form[data-api=CreateUserTag] [name=resourceUuid]", zoneUuid);
        B.Type("form[data-api=CreateUserTag] [name=tag]", "console-tag");
        B.Click("form[data-api=CreateUserTag] button[type=submit]");
        B.UntilText("#tag-list", "console-tag");
        Check("tags", violations);
        B.Click("#tag-list button.danger");
        B.Find("dialog.modal");
        B.Click("dialog.modal button[value=ok]");
        B.Until(() => !B.Text("#tag-list").Contains("console-tag", StringComparison.Ordinal), "the tag deleted");

        foreach (var page in new[] { "jobs", "storage", "images" })
        {
            B.Go("#/" + page);
            B.Find("main h1");
            Check(page, violations);
        }

        // Phone width: the same pages stay usable (tables stack); a screenshot records it.
        B.Driver.Manage().Window.Size = new System.Drawing.Size(390, 844);
        B.Go("#/dashboard");
        B.Find("#bs-cards");
        Check("dashboard-phone", violations);
        B.Driver.Manage().Window.Size = new System.Drawing.Size(1280, 900);

        // Dark theme (prefers-color-scheme), checked for contrast like the light one.
        ColorScheme("dark");
        B.Go("#/storage");
        B.Find("#bs-list");
        Check("storage-dark", violations);
        ColorScheme("light");

        // Logging out ends the session on the server.
        var session = (string)B.Js("return sessionStorage.getItem('stowage.session');")!;
        B.Click("#logout");
        B.UntilText("form.login", "logged out");
        using (var api = f.Host.Client())
        {
            api.Session = session;
            var r = await api.SendAsync(HttpMethod.Get, "/zones");
            Assert.Equal("ID.1001", r.ErrorCode);
        }

        // A session that ends behind the console's back (expired, or logged out elsewhere) returns to the login page with the reason.
        Login();
        B.Find("#bs-cards");
        session = (string)B.Js("return sessionStorage.getItem('stowage.session');")!;
        using (var api = f.Host.Client())
        {
            await api.SendAsync(HttpMethod.Delete, "/accounts/sessions/" + session, auth: false);
        }

        B.UntilText("form.login", "You were logged out");
        B.Shot("session-ended");
        Assert.True(violations.Count == 0, "serious or critical accessibility violations:\n" + string.Join('\n', violations));
    }
}
