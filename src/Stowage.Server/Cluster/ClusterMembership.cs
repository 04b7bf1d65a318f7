using System.Diagnostics;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Cluster;
using Stowage.Persistence;
using Stowage.Server.Hosting;
using Stowage.Server.Jobs;
using Stowage.Server.Storage;

namespace Stowage.Server.Cluster;

/// <summary>
/// This server's membership of the management cluster (PostgreSQL), and the ownership of backup storages
/// that follows from it. Every <c>--cluster-heartbeat</c> it renews its row in <c>management_nodes</c>
/// (the database's clock), reads the live servers, reaps the dead ones (<see cref="ClusterReaper"/>), claims
/// the unowned backup storages the hash ring gives it and hands the ones it should no longer own to their
/// new owner once they are idle (<see cref="ClusterMembership"/>'s ownership part).
/// <para>
/// Fencing: the lease is the time of the last successful renewal (measured from before it was sent) plus
/// <see cref="ClusterSettings.Lease"/>; past it, <see cref="Owns"/> is false and <see cref="Fenced"/> fires, so
/// a server cut off from the database stops acting before the others see it dead (<see cref="ClusterSettings.DeadAfter"/>,
/// twice the lease) and take its backup storages.
/// </para>
/// </summary>
public sealed partial class ClusterMembership(
    StowageDbContextFactory dbFactory,
    NodeIdentity node,
    StowageSettings settings,
    ClusterReaper reaper,
    Features.GlobalConfigs.GlobalConfigStore configs,
    KeyedLocks locks,
    JobRunner runner,
    TransferRegistry transfers,
    IServer server,
    IHostApplicationLifetime lifetime,
    ILogger<ClusterMembership> logger) : BackgroundService, IBackupStorageOwnership
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _joined = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Lock _sync = new();
    private HashSet<string> _owned = new(StringComparer.Ordinal);
    private readonly HashSet<string> _handingOver = new(StringComparer.Ordinal);
    private Dictionary<string, string> _members = new(StringComparer.Ordinal);
    private HashRing _ring = new([]);
    private long _leaseUntil;
    private int _fenced = 1;
    private string _address = string.Empty;

    public event Action<IReadOnlyList<string>>? TakenOver;

    public event Action? Fenced;

    private ClusterSettings Options => settings.Cluster;

    /// <summary>True while the last renewal is younger than the lease.</summary>
    public bool LeaseValid => Stopwatch.GetTimestamp() < Volatile.Read(ref _leaseUntil);

    public bool Owns(string backupStorageUuid)
    {
        if (!LeaseValid)
        {
            return false;
        }

        lock (_sync)
        {
            return _owned.Contains(backupStorageUuid);
        }
    }

    public Task WaitReadyAsync(CancellationToken cancellationToken) => _ready.Task.WaitAsync(cancellationToken);

    /// <summary>Live servers seen by the last membership round (this one included once it has joined).</summary>
    public int MemberCount
    {
        get
        {
            lock (_sync)
            {
                return _members.Count;
            }
        }
    }

    public string? AddressOf(string nodeId)
    {
        lock (_sync)
        {
            return _members.GetValueOrDefault(nodeId);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Forwarded calls need the address the server really listens on, known once it has started.
        await WaitStartedAsync(stoppingToken);
        _address = Options.AdvertiseUrl ?? ListenAddress();

        // Renewal runs apart (own thread, own connection), so neither a slow membership round, a busy
        // connection pool nor a starved thread pool lets the lease lapse on a healthy server.
        await Task.WhenAll(
            RenewOnOwnThreadAsync(stoppingToken),
            RepeatAsync(MembershipRoundAsync, stoppingToken),
            WatchLeaseAsync(stoppingToken));
        await LeaveAsync();
    }

    /// <summary>Runs <paramref name="step"/> every heartbeat (bounded by the lease) until the server stops.</summary>
    private async Task RepeatAsync(Func<long, CancellationToken, Task> step, CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            var started = Stopwatch.GetTimestamp();
            try
            {
                using var timeout = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
                timeout.CancelAfter(Options.Lease);
                await step(started, timeout.Token);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                LogTickFailed(logger, e, node.Id);
            }

            var elapsed = Stopwatch.GetElapsedTime(started);
            try
            {
                await Task.Delay(elapsed < Options.Heartbeat ? Options.Heartbeat - elapsed : TimeSpan.Zero, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task WaitStartedAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var a = lifetime.ApplicationStarted.Register(() => started.TrySetResult());
        await started.Task.WaitAsync(stoppingToken);
    }

    private string ListenAddress()
    {
        var address = server.Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault()
            ?? throw new InvalidOperationException("the server listens nowhere; set --advertise-url");
        var uri = new Uri(address.Replace("[::]", "0.0.0.0", StringComparison.Ordinal).Replace("*", "0.0.0.0", StringComparison.Ordinal).Replace("+", "0.0.0.0", StringComparison.Ordinal));
        if (uri.Host == "0.0.0.0")
        {
            throw new InvalidOperationException($"the server listens on all interfaces ({address}); set --advertise-url to the address the other management nodes reach it at");
        }

        return address.TrimEnd('/');
    }

    /// <summary>Fires <see cref="Fenced"/> once the lease runs out without a renewal, without waiting for a tick that may hang.</summary>
    private async Task WatchLeaseAsync(CancellationToken stoppingToken)
    {
        var step = Options.Heartbeat / 4;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(step, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (!LeaseValid && Interlocked.Exchange(ref _fenced, 1) == 0)
            {
                LogFenced(logger, node.Id, Options.Lease.TotalSeconds);
                try
                {
                    Fenced?.Invoke();
                    // A job's transfers stop with its token: the remote process is killed over SSH, which needs no database.
                    runner.Fence("the management node lost contact with the database (no heartbeat renewal within the lease); its jobs were stopped");
                }
                catch (Exception e)
                {
                    LogTickFailed(logger, e, node.Id);
                }
            }
        }
    }

    /// <summary>Reads the live servers, reaps the dead ones, claims and hands over, and takes changed global configs.</summary>
    private async Task MembershipRoundAsync(long roundStarted, CancellationToken ct)
    {
        await _joined.Task.WaitAsync(ct);
        await using var db = dbFactory.CreateDbContext();
        var nodes = await db.Database.SqlQuery<NodeRow>(
            $"SELECT id AS \"Id\", address AS \"Address\", heartbeat_date > now() - make_interval(secs => {Options.DeadAfter.TotalSeconds}) AS \"Alive\" FROM management_nodes").ToListAsync(ct);
        foreach (var dead in nodes.Where(n => !n.Alive && n.Id != node.Id))
        {
            await reaper.ReapAsync(dead.Id, Options.DeadAfter, ct);
        }

        var live = nodes.Where(n => n.Alive || n.Id == node.Id).ToList();
        var ring = new HashRing(live.Select(n => n.Id));
        lock (_sync)
        {
            _members = live.ToDictionary(n => n.Id, n => n.Address, StringComparer.Ordinal);
            _ring = ring;
        }

        await RebalanceAsync(db, ring, live.Select(n => n.Id).ToHashSet(StringComparer.Ordinal), ct);
        await configs.RefreshAsync(ct);
        _ready.TrySetResult();
    }

    private async Task LeaveAsync()
    {
        // A clean stop lets the others take over at once instead of waiting for the heartbeat to age.
        try
        {
            Volatile.Write(ref _leaseUntil, 0);
            await using var db = dbFactory.CreateDbContext();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await db.Database.ExecuteSqlInterpolatedAsync(
                $"UPDATE management_nodes SET heartbeat_date = now() - make_interval(secs => {Options.DeadAfter.TotalSeconds * 2}) WHERE id = {node.Id}", timeout.Token);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            LogTickFailed(logger, e, node.Id);
        }
    }

    private sealed record NodeRow(string Id, string Address, bool Alive);

    [LoggerMessage(Level = LogLevel.Warning, Message = "cluster heartbeat of management node {Node} failed")]
    private static partial void LogTickFailed(ILogger logger, Exception exception, string node);

    [LoggerMessage(Level = LogLevel.Error, Message = "management node {Node} renewed no heartbeat for {Lease} s: it stops acting on backup storages until it reaches the database again")]
    private static partial void LogFenced(ILogger logger, string node, double lease);

    [LoggerMessage(Level = LogLevel.Warning, Message = "management node {Node} had been declared dead by the cluster; it joins again and owns nothing until the ring gives it backup storages")]
    private static partial void LogRejoined(ILogger logger, string node);
}
