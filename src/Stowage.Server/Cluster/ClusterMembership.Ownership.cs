using Microsoft.EntityFrameworkCore;
using Stowage.Core.Cluster;
using Stowage.Persistence;
using Stowage.Server.Storage;

namespace Stowage.Server.Cluster;

/// <summary>
/// Claims and hand-overs. A backup storage changes hands only through its row: an unowned one is claimed
/// by the server the ring names (a conditional update, so two servers never both win); an owned one is
/// handed by its owner to the ring's choice, and only while nothing runs on it here (no check holding its
/// lock, no job in its queue, no transfer), so the new owner never pings or runs a job beside the old one.
/// </summary>
public sealed partial class ClusterMembership
{
    public async Task<OwnerRoute> RouteAsync(string backupStorageUuid, CancellationToken cancellationToken)
    {
        if (Owns(backupStorageUuid))
        {
            return OwnerRoute.Here;
        }

        if (!LeaseValid)
        {
            return new OwnerRoute.Unavailable($"this management node[{node.Id}] lost contact with the database and has stopped acting on backup storages");
        }

        await using var db = dbFactory.CreateDbContext();
        var row = await db.BackupStorages.AsNoTracking().Where(b => b.Uuid == backupStorageUuid).Select(b => new { b.OwnerNodeId }).FirstOrDefaultAsync(cancellationToken);
        if (row is null)
        {
            // Gone or never existed: the handler answers that here, as it would on the owner.
            return OwnerRoute.Here;
        }

        var owner = row.OwnerNodeId;
        if (owner == node.Id)
        {
            // Added here since the last tick: the row is the truth, the set only a cache of it.
            lock (_sync)
            {
                if (!_handingOver.Contains(backupStorageUuid))
                {
                    _owned.Add(backupStorageUuid);
                    return OwnerRoute.Here;
                }
            }
        }

        if (owner is null || owner == node.Id)
        {
            return new OwnerRoute.Unavailable($"backup storage[uuid:{backupStorageUuid}] is changing management nodes; retry in a few seconds");
        }

        return AddressOf(owner) is { } address
            ? new OwnerRoute.Remote(owner, address)
            : new OwnerRoute.Unavailable(
                $"the management node[{owner}] owning backup storage[uuid:{backupStorageUuid}] is not responding; its backup storages move to the other nodes within {(Options.DeadAfter + Options.Heartbeat * 2).TotalSeconds:0} s");
    }

    public OwnerRoute RouteKey(string serialKey)
    {
        string? owner;
        lock (_sync)
        {
            owner = _ring.OwnerOf(serialKey);
        }

        // Before the first round (no ring yet) or for this server's own keys, the call runs here.
        return owner is null || owner == node.Id || AddressOf(owner) is not { } address ? OwnerRoute.Here : new OwnerRoute.Remote(owner, address);
    }

    private async Task RebalanceAsync(StowageDbContext db, HashRing ring, HashSet<string> live, CancellationToken ct)
    {
        var rows = await db.BackupStorages.AsNoTracking().Select(b => new { b.Uuid, b.OwnerNodeId }).ToListAsync(ct);
        var owned = rows.Where(r => r.OwnerNodeId == node.Id).Select(r => r.Uuid).ToHashSet(StringComparer.Ordinal);
        var claimed = new List<string>();
        foreach (var row in rows.Where(r => r.OwnerNodeId is null && ring.OwnerOf(r.Uuid) == node.Id))
        {
            var won = await db.BackupStorages.Where(b => b.Uuid == row.Uuid && b.OwnerNodeId == null)
                .ExecuteUpdateAsync(s => s.SetProperty(b => b.OwnerNodeId, node.Id), ct);
            if (won == 1)
            {
                claimed.Add(row.Uuid);
                owned.Add(row.Uuid);
            }
        }

        lock (_sync)
        {
            _owned = owned;
        }

        foreach (var uuid in owned.ToList())
        {
            var target = ring.OwnerOf(uuid);
            if (target is null || target == node.Id || !live.Contains(target))
            {
                continue;
            }

            if (await TryHandOverAsync(db, uuid, target, ct))
            {
                owned.Remove(uuid);
            }
        }

        if (claimed.Count > 0)
        {
            LogClaimed(logger, node.Id, claimed.Count);
            TakenOver?.Invoke(claimed);
        }
    }

    private async Task<bool> TryHandOverAsync(StowageDbContext db, string uuid, string target, CancellationToken ct)
    {
        using var held = locks.TryAcquire(BackupStorageConnector.LockKey(uuid));
        if (held is null || runner.HasSerialKey(BackupStorageConnector.LockKey(uuid)) || transfers.IsBusy(uuid))
        {
            return false;
        }

        // Stop owning first: no check or call starts here once the row may say someone else.
        lock (_sync)
        {
            _owned.Remove(uuid);
            _handingOver.Add(uuid);
        }

        try
        {
            var moved = await db.BackupStorages.Where(b => b.Uuid == uuid && b.OwnerNodeId == node.Id)
                .ExecuteUpdateAsync(s => s.SetProperty(b => b.OwnerNodeId, target), CancellationToken.None);
            if (moved == 1)
            {
                LogHandedOver(logger, uuid, node.Id, target);
            }

            return true;
        }
        finally
        {
            lock (_sync)
            {
                _handingOver.Remove(uuid);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "management node {Node} claimed {Count} unowned backup storages; they reconnect")]
    private static partial void LogClaimed(ILogger logger, string node, int count);

    [LoggerMessage(Level = LogLevel.Information, Message = "backup storage {Uuid} handed over from management node {From} to {To}")]
    private static partial void LogHandedOver(ILogger logger, string uuid, string from, string to);
}
