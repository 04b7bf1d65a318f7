namespace Stowage.Nfs.Tests.Infrastructure;

/// <summary>One NFS-Ganesha for the whole test run of the "nfs" collection; tests that kill or freeze it restore it.</summary>
public sealed class NfsFixture : IAsyncLifetime
{
    private GaneshaServer? _server;

    public GaneshaServer Server => _server ?? throw new InvalidOperationException("the NFS server did not start");

    public async Task InitializeAsync() => _server = await GaneshaServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

[CollectionDefinition("nfs")]
public sealed class NfsCollection : ICollectionFixture<NfsFixture>
{
}
