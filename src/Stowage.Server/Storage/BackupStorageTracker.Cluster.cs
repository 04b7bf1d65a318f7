using Microsoft.EntityFrameworkCore;
using Stowage.Core.Config;

namespace Stowage.Server.Storage;

/// <summary>
/// The tracker in a cluster: backup storages this server takes over from a dead one are reconnected at
/// once (their status was last written by a server that is gone), and when this server loses its lease
/// the checks it is running are cancelled, so it stops touching hosts before another server takes over.
/// </summary>
public sealed partial class BackupStorageTracker
{
    private CancellationTokenSource _fence = new();

    private void WatchOwnership()
    {
        ownership.TakenOver += OnTakenOver;
        ownership.Fenced += OnFenced;
    }

    private void UnwatchOwnership()
    {
        ownership.TakenOver -= OnTakenOver;
        ownership.Fenced -= OnFenced;
    }

    private void OnFenced() => Interlocked.Exchange(ref _fence, new CancellationTokenSource()).Cancel();

    private void OnTakenOver(IReadOnlyList<string> uuids)
    {
        var stoppingToken = _watchToken;
        if (!stoppingToken.IsCancellationRequested)
        {
            Track(Task.Run(() => TakeOverAsync(uuids, stoppingToken), CancellationToken.None));
        }
    }

    /// <summary>Every backup storage taken over goes Connecting, then Connected or Disconnected, as at boot.</summary>
    private async Task TakeOverAsync(IReadOnlyList<string> uuids, CancellationToken stoppingToken)
    {
        await using (var db = dbFactory.CreateDbContext())
        {
            var rows = await db.BackupStorages.Where(b => uuids.Contains(b.Uuid)).ToListAsync(stoppingToken);
            foreach (var bs in rows.Where(b => ownership.Owns(b.Uuid)))
            {
                connector.SetStatus(db, bs, BackupStorageStatus.Connecting, "taken over by another management node");
            }

            await db.SaveChangesAsync(stoppingToken);
        }

        var timeout = TimeSpan.FromSeconds(configs.GetInt(CoreGlobalConfigs.PingTimeout));
        var due = uuids.Where(u => _pending.TryAdd(u, 0)).ToList();
        await Task.WhenAll(due.Select(uuid => CheckDueAsync(uuid, timeout, stoppingToken)));
    }
}
