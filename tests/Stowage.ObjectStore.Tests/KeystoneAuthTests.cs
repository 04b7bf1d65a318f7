using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Stowage.Core.Storage;
using Stowage.ObjectStore.Swift;
using Stowage.ObjectStore.Tests.Infrastructure;

namespace Stowage.ObjectStore.Tests;

/// <summary>
/// Keystone v3 password auth. No Keystone runs here: a loopback stand-in answers <c>POST /v3/auth/tokens</c> as
/// the Keystone API reference describes (X-Subject-Token, token.expires_at, token.catalog) and hands out a real
/// tempauth token of the real Swift, so everything after the auth request runs against the real store.
/// </summary>
[Collection(SwiftCollection.Name)]
public sealed class KeystoneAuthTests(SwiftFixture swift) : IAsyncLifetime
{
    private readonly HttpListener _listener = new();
    private readonly HttpClient _http = new();
    private readonly List<JsonNode?> _requests = [];
    private Task _serve = Task.CompletedTask;
    private int _port;

    public Task InitializeAsync()
    {
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            _port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }

        _listener.Prefixes.Add($"http://127.0.0.1:{_port}/");
        _listener.Start();
        _serve = ServeAsync();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        _listener.Stop();
        _listener.Close();
        await _serve.ContinueWith(_ => { }, TaskScheduler.Default);
        _http.Dispose();
    }

    [Fact]
    public async Task A_project_scoped_token_and_the_regions_public_object_store_endpoint_reach_the_real_swift()
    {
        using var driver = new SwiftBackupStorageDriver();
        var target = Target("s3cret", region: "RegionTwo");

        await driver.ConnectAsync(target, default);
        await driver.WriteMarkerAsync(target, default);
        await driver.PingAsync(target, default);

        var auth = Assert.Single(_requests)!["auth"]!;
        Assert.Equal("password", (string?)auth["identity"]!["methods"]![0]);
        Assert.Equal(("alice", "users", "s3cret"), ((string?)auth["identity"]!["password"]!["user"]!["name"], (string?)auth["identity"]!["password"]!["user"]!["domain"]!["name"],
            (string?)auth["identity"]!["password"]!["user"]!["password"]));
        Assert.Equal(("proj", "Default"), ((string?)auth["scope"]!["project"]!["name"], (string?)auth["scope"]!["project"]!["domain"]!["name"]));
    }

    [Fact]
    public async Task A_refused_password_is_an_authentication_failure()
    {
        using var driver = new SwiftBackupStorageDriver();

        var e = await Assert.ThrowsAsync<StorageException>(() => driver.ConnectAsync(Target("wrong", region: null), default));

        Assert.Equal(StorageFailure.AuthenticationFailed, e.Failure);
    }

    [Fact]
    public async Task A_catalog_without_the_region_is_a_bad_location()
    {
        using var driver = new SwiftBackupStorageDriver();

        var e = await Assert.ThrowsAsync<StorageException>(() => driver.ConnectAsync(Target("s3cret", region: "Nowhere"), default));

        Assert.Equal(StorageFailure.BadLocation, e.Failure);
    }

    private BackupStorageTarget Target(string password, string? region)
    {
        var settings = new Dictionary<string, string>(StringComparer.Ordinal)
        {
            [ObjectStoreSettings.AuthUrl] = $"http://127.0.0.1:{_port}/v3",
            [ObjectStoreSettings.Username] = "alice",
            [ObjectStoreSettings.UserDomainName] = "users",
            [ObjectStoreSettings.ProjectName] = "proj",
            [ObjectStoreSettings.TotalCapacity] = "1000000000",
        };
        if (region is not null)
        {
            settings[ObjectStoreSettings.Region] = region;
        }

        return new BackupStorageTarget(SwiftFixture.Uuid(), SwiftFixture.Container(), settings, new StorageSecret(StorageSecretKind.Password, password));
    }

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (Exception e) when (e is HttpListenerException or ObjectDisposedException)
            {
                return;
            }

            using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
            var body = JsonNode.Parse(await reader.ReadToEndAsync());
            _requests.Add(body);
            var response = context.Response;
            if (context.Request.HttpMethod != "POST" || context.Request.Url?.AbsolutePath != "/v3/auth/tokens"
                || (string?)body?["auth"]?["identity"]?["password"]?["user"]?["password"] != "s3cret")
            {
                response.StatusCode = 401;
                response.Close();
                continue;
            }

            // A real token of the real Swift stands in for the Keystone token.
            using var auth = new HttpRequestMessage(HttpMethod.Get, swift.AuthUrl);
            auth.Headers.Add("X-Auth-User", "test:tester");
            auth.Headers.Add("X-Auth-Key", "testing");
            using var tempauth = await _http.SendAsync(auth);
            var catalog = new JsonObject
            {
                ["token"] = new JsonObject
                {
                    ["expires_at"] = DateTime.UtcNow.AddHours(1).ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", System.Globalization.CultureInfo.InvariantCulture),
                    ["catalog"] = new JsonArray(
                        new JsonObject { ["type"] = "identity", ["endpoints"] = new JsonArray(new JsonObject { ["interface"] = "public", ["region_id"] = "RegionTwo", ["url"] = "http://127.0.0.1:1/v3" }) },
                        new JsonObject
                        {
                            ["type"] = "object-store",
                            ["endpoints"] = new JsonArray(
                                new JsonObject { ["interface"] = "internal", ["region_id"] = "RegionTwo", ["url"] = "http://127.0.0.1:1/v1/AUTH_x" },
                                new JsonObject { ["interface"] = "public", ["region_id"] = "RegionOne", ["url"] = "http://127.0.0.1:1/v1/AUTH_x" },
                                new JsonObject { ["interface"] = "public", ["region_id"] = "RegionTwo", ["url"] = tempauth.Headers.GetValues("X-Storage-Url").First() }),
                        }),
                },
            };
            response.StatusCode = 201;
            response.AddHeader("X-Subject-Token", tempauth.Headers.GetValues("X-Auth-Token").First());
            var bytes = Encoding.UTF8.GetBytes(catalog.ToJsonString());
            response.ContentType = "application/json";
            await response.OutputStream.WriteAsync(bytes);
            response.Close();
        }
    }
}
