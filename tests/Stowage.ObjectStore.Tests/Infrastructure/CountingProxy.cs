using System.Net;
using System.Net.Sockets;

namespace Stowage.ObjectStore.Tests.Infrastructure;

/// <summary>
/// A loopback TCP forwarder in front of the Swift proxy that counts the bytes the store sends back: a driver pointed at
/// it shows how many bytes actually reached Stowage (a server-side copy must not read the image through it).
/// </summary>
public sealed class CountingProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource _stop = new();
    private readonly int _upstream;
    private long _downstream;

    private CountingProxy(int upstream)
    {
        _upstream = upstream;
        _listener.Start();
        _ = AcceptAsync();
    }

    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary>Bytes the store sent to the client since the start or the last <see cref="Reset"/>.</summary>
    public long Downstream => Interlocked.Read(ref _downstream);

    public static CountingProxy Start(int upstream) => new(upstream);

    public void Reset() => Interlocked.Exchange(ref _downstream, 0);

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            _ = PairAsync(client);
        }
    }

    private async Task PairAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, _upstream, _stop.Token);
                var up = PumpAsync(client.GetStream(), server.GetStream(), null);
                var down = PumpAsync(server.GetStream(), client.GetStream(), n => Interlocked.Add(ref _downstream, n));
                await Task.WhenAny(up, down);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or IOException)
            {
                // A side went away: the pair ends.
            }
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, Action<int>? count)
    {
        var buffer = new byte[81920];
        int n;
        while ((n = await from.ReadAsync(buffer, _stop.Token)) > 0)
        {
            count?.Invoke(n);
            await to.WriteAsync(buffer.AsMemory(0, n), _stop.Token);
        }
    }
}
