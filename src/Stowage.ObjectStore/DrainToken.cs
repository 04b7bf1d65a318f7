namespace Stowage.ObjectStore;

/// <summary>
/// The token for a segment request already under way when its write is cancelled. A PUT whose body went out can
/// still be committed by the store after the client hung up, so cancelling it at once would let the segment land
/// after the abort listed and removed the write's segments (a leftover only the sweeper would find). The request
/// is let finish instead, at most <see cref="Limit"/> after the cancel; the write's own reading stops at once.
/// </summary>
internal sealed class DrainToken : IDisposable
{
    public static readonly TimeSpan Limit = TimeSpan.FromSeconds(30);

    private readonly CancellationTokenSource _cts = new();
    private readonly CancellationTokenRegistration _link;

    public DrainToken(CancellationToken caller) => _link = caller.Register(static s => ((CancellationTokenSource)s!).CancelAfter(Limit), _cts);

    public CancellationToken Token => _cts.Token;

    public void Dispose()
    {
        // The registration first: its callback must not touch a disposed source.
        _link.Dispose();
        _cts.Dispose();
    }
}
