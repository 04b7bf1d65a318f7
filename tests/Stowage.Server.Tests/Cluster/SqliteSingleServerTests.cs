using Stowage.Server.Tests.Infrastructure;

namespace Stowage.Server.Tests.Cluster;

/// <summary>The embedded SQLite database serves one server: a second one on the same file is refused.</summary>
public sealed class SqliteSingleServerTests
{
    [Fact]
    public async Task A_second_server_on_the_same_SQLite_data_directory_is_refused_with_a_clear_message()
    {
        await using var first = await StowageHost.StartAsync();
        var e = await Assert.ThrowsAsync<InvalidOperationException>(() => StowageHost.StartAsync(dataDir: first.DataDir));
        Assert.Contains("already using the data directory", e.Message, StringComparison.Ordinal);
        Assert.Contains("--postgres", e.Message, StringComparison.Ordinal);

        // The first one is untouched.
        using var client = first.Client();
        await client.LoginAsync();
    }
}
