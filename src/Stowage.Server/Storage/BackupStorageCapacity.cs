using Microsoft.EntityFrameworkCore;
using Stowage.Core.Config;
using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Server.Features.GlobalConfigs;

namespace Stowage.Server.Storage;

/// <summary>
/// Capacity bookkeeping with one rule: <c>available = filesystem free − bytes reserved by running writes</c>.
/// Image files are never added or subtracted by hand (the filesystem already counts them), so freed bytes
/// cannot be counted twice (ZStack's quirk) and available never exceeds what the filesystem reports.
/// </summary>
public sealed class BackupStorageCapacity(StowageDbContextFactory dbFactory, KeyedLocks locks, GlobalConfigStore configs)
{
    private static string Key(string uuid) => "bs-capacity-" + uuid;

    /// <summary>Measures the filesystem, checks <paramref name="size"/> fits above the reserved capacity, and holds it for the copy.</summary>
    public async Task ReserveAsync(IBackupStorageDriver driver, BackupStorageTarget target, string name, CopyRow row, long size, string item, CancellationToken ct)
    {
        using var held = await locks.AcquireAsync(Key(target.Uuid), ct);
        var available = await RefreshLockedAsync(driver, target, ct);
        var keep = SizeString.TryParse(configs.Get(CoreGlobalConfigs.ReservedCapacity), out var r) ? r : 0;
        if (size > 0 && available - keep < size)
        {
            throw ApiException.Operation($"the backup storage[uuid:{target.Uuid}, name:{name}] has not enough capacity to download the {item}.Required size:{size}, available size:{Math.Max(0, available - keep)}");
        }

        await using var db = dbFactory.CreateDbContext();
        await row.SetReservedAsync(db, size, ct);
        await db.BackupStorages.Where(b => b.Uuid == target.Uuid)
            .ExecuteUpdateAsync(s => s.SetProperty(b => b.AvailableCapacity, Math.Max(0, available - size)).SetProperty(b => b.Version, b => b.Version + 1), ct);
    }

    /// <summary>Drops the reservation of a copy (finished, failed or cancelled) and re-measures.</summary>
    public async Task ReleaseAsync(IBackupStorageDriver driver, BackupStorageTarget target, CopyRow row)
    {
        using var held = await locks.AcquireAsync(Key(target.Uuid), CancellationToken.None);
        long released;
        await using (var db = dbFactory.CreateDbContext())
        {
            released = await row.ReservedAsync(db, CancellationToken.None);
            await row.SetReservedAsync(db, 0L, CancellationToken.None);
        }

        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await RefreshLockedAsync(driver, target, limit.Token);
        }
        catch (Exception e) when (e is StorageException or OperationCanceledException)
        {
            // Unreachable now (Disconnected): the reservation is given back on the stored number at once; the
            // next measure (connect, ping) puts it right.
            await using var db = dbFactory.CreateDbContext();
            await db.BackupStorages.Where(b => b.Uuid == target.Uuid).ExecuteUpdateAsync(s => s
                .SetProperty(b => b.AvailableCapacity, b => b.AvailableCapacity + released).SetProperty(b => b.Version, b => b.Version + 1), CancellationToken.None);
        }
    }

    /// <summary>
    /// The one computation of <c>availableCapacity</c>: what the storage measured minus every reservation of an
    /// unfinished copy or upload on it. Ping, connect and every reservation change use it, so the inventory and
    /// the allocator agree (after a restart too).
    /// </summary>
    public static async Task<long> AvailableAsync(StowageDbContext db, string bsUuid, long measured, CancellationToken ct) =>
        Math.Max(0, measured - await CopyRow.ReservedOnAsync(db, bsUuid, ct));

    /// <summary>Re-measures after files were removed.</summary>
    public async Task RefreshAsync(IBackupStorageDriver driver, BackupStorageTarget target, CancellationToken ct)
    {
        using var held = await locks.AcquireAsync(Key(target.Uuid), ct);
        await RefreshLockedAsync(driver, target, ct);
    }

    private async Task<long> RefreshLockedAsync(IBackupStorageDriver driver, BackupStorageTarget target, CancellationToken ct)
    {
        var fs = await driver.GetCapacityAsync(target, ct);
        await using var db = dbFactory.CreateDbContext();
        var available = await AvailableAsync(db, target.Uuid, fs.Available, ct);
        await db.BackupStorages.Where(b => b.Uuid == target.Uuid).ExecuteUpdateAsync(s => s
            .SetProperty(b => b.TotalCapacity, fs.Total)
            .SetProperty(b => b.AvailableCapacity, available)
            .SetProperty(b => b.Version, b => b.Version + 1), ct);
        return available;
    }
}
