using System.Collections.Concurrent;
using Stowage.Core.Storage;

namespace Stowage.Nfs;

/// <summary>
/// The libnfs contexts of one backup storage. A context is handed to one caller at a time (libnfs 4.0 has
/// no locking) and at most <see cref="NfsOptions.MaxContexts"/> exist at once, each one TCP connection.
/// The first mount finds which part of the url's path is the export: the full path is tried first, then
/// each parent, because the path below the export may not exist yet (the driver creates it).
/// A context that timed out or lost its connection is destroyed, and so are the idle ones (they share its
/// fate: same server); the next rent connects afresh, which is how access resumes after a server restart.
/// </summary>
internal sealed class NfsContextPool : IDisposable
{
    private readonly NfsLocation _location;
    private readonly NfsOptions _options;
    private readonly SemaphoreSlim _slots;
    private readonly ConcurrentStack<NfsContext> _idle = new();
    private volatile string? _mountRoot;
    private volatile bool _disposed;

    public NfsContextPool(NfsLocation location, NfsOptions options)
    {
        _location = location;
        _options = options;
        _slots = new SemaphoreSlim(Math.Max(1, options.MaxContexts));
    }

    public NfsOptions Options => _options;

    public NfsLocation Location => _location;

    public async Task<NfsLease> RentAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _slots.WaitAsync(cancellationToken);
        try
        {
            if (_idle.TryPop(out var idle))
            {
                return new NfsLease(this, idle);
            }
            // Not cancellable once started: the mount is bounded by the timeout, and abandoning it would leak the context.
            var context = await Task.Run(Connect, CancellationToken.None);
            return new NfsLease(this, context);
        }
        catch
        {
            _slots.Release();
            throw;
        }
    }

    internal void Return(NfsContext context)
    {
        if (context.Broken || _disposed)
        {
            context.Dispose();
            DrainIdle();
        }
        else
        {
            _idle.Push(context);
            if (_disposed)
            {
                DrainIdle();
            }
        }
        _slots.Release();
    }

    private NfsContext Connect()
    {
        if (_mountRoot is { } known)
        {
            return ConnectOnce(known);
        }
        StorageException? first = null;
        for (var candidate = _location.Path; ; candidate = Parent(candidate))
        {
            try
            {
                var context = ConnectOnce(candidate);
                _mountRoot = candidate;
                return context;
            }
            catch (StorageException e) when (e.Failure == StorageFailure.BadLocation)
            {
                // Refused (not exported, missing, or not allowed): try the parent, report the first refusal.
                first ??= e;
            }
            if (candidate == "/" || Parent(candidate) == "/")
            {
                throw new StorageException(StorageFailure.BadLocation,
                    $"NFS server {_location.Server} exports no directory holding {_location.Path} to this client: {first!.Message}", first);
            }
        }
    }

    /// <summary>
    /// One mount, tried again twice when the server dropped the connection mid-MOUNT ("mount_cb: Poll failed"):
    /// Ganesha does that now and then right after a thaw or under load, and the next try gets a real answer
    /// (a context, or the refusal that sends the caller to the parent directory). A refused connection or a
    /// timeout is not retried here; those are the caller's to judge.
    /// </summary>
    private NfsContext ConnectOnce(string mountRoot)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                return NfsContext.Connect(_location, _options, mountRoot);
            }
            catch (StorageException e) when (attempt < 3 && e.Message.Contains("Poll failed", StringComparison.Ordinal))
            {
                Thread.Sleep(200 * attempt);
            }
        }
    }

    private static string Parent(string path)
    {
        var slash = path.LastIndexOf('/');
        return slash <= 0 ? "/" : path[..slash];
    }

    private void DrainIdle()
    {
        while (_idle.TryPop(out var c))
        {
            c.Dispose();
        }
    }

    public void Dispose()
    {
        _disposed = true;
        DrainIdle();
    }
}

/// <summary>One caller's exclusive use of a pooled context; disposing gives it back.</summary>
internal sealed class NfsLease(NfsContextPool pool, NfsContext context) : IDisposable
{
    private int _returned;

    public NfsContext Context { get; } = context;

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _returned, 1) == 0)
        {
            pool.Return(Context);
        }
    }
}
