using Stowage.Server.Features.GlobalConfigs;
using Stowage.Server.Tests.Images;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Sftp.Tests.Infrastructure;

namespace Stowage.Console.Tests;

/// <summary>
/// Started once for the console tests: a Stowage server (SQLite) pinging every 2 s so a lost storage shows
/// quickly, a loopback HTTP source, the test sshd, and one headless Chromium.
/// </summary>
public sealed class ConsoleFixture : IAsyncLifetime
{
    public StowageHost Host { get; private set; } = null!;

    public HttpSource Source { get; private set; } = null!;

    public SshdFixture Sshd { get; } = new();

    public Browser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        await Sshd.InitializeAsync();
        Host = await StowageHost.StartAsync();
        var configs = Host.Services.GetRequiredService<GlobalConfigStore>();
        await configs.UpdateAsync("backupStorage", "ping.interval", "2", CancellationToken.None);
        await configs.UpdateAsync("backupStorage", "ping.timeout", "5", CancellationToken.None);
        Source = await HttpSource.StartAsync();
        Browser = new Browser(Host.BaseAddress.ToString());
    }

    public async Task DisposeAsync()
    {
        Browser?.Dispose();
        if (Source is not null)
        {
            await Source.DisposeAsync();
        }

        if (Host is not null)
        {
            await Host.DisposeAsync();
        }

        await Sshd.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ConsoleCollection : ICollectionFixture<ConsoleFixture>
{
    public const string Name = "console";
}
