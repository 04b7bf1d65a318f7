using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Stowage.Persistence;
using Stowage.Server.Storage;
using Stowage.Server.Tests.BackupStorage;
using Stowage.Server.Tests.Infrastructure;
using Stowage.Server.Tests.StorageTypes;

namespace Stowage.Server.Tests.Hardening;

/// <summary>Issue 15 item 9: a ping verdict racing an image add's reservation is written, not thrown.</summary>
[Collection(StorageCollection.Name)]
public sealed class VerdictSaveTests(StorageWorld world)
{
    [Theory]
    [MemberData(nameof(Databases.Both), MemberType = typeof(Databases))]
    public async Task A_disconnect_verdict_is_written_over_a_concurrent_capacity_change_without_losing_it(Db db)
    {
        await using var host = await StowageHost.StartAsync(db);
        using var client = host.Client();
        await client.LoginAsync();
        var bs = await BsKit.AddOkAsync(client, world.Sshd, world.Sshd.NewPath());
        var factory = host.Services.GetRequiredService<StowageDbContextFactory>();

        await using var tracker = factory.CreateDbContext();
        var row = await tracker.BackupStorages.SingleAsync(b => b.Uuid == bs);
        var before = row.Version;

        // An image add reserves capacity meanwhile: the row's version moves on under the tracker's copy.
        await using (var adder = factory.CreateDbContext())
        {
            var other = await adder.BackupStorages.SingleAsync(b => b.Uuid == bs);
            other.AvailableCapacity -= 12345;
            await adder.SaveChangesAsync();
        }

        var reserved = row.AvailableCapacity - 12345;
        row.Status = "Disconnected";
        row.LastError = "ping failed: test";
        await Assert.ThrowsAsync<DbUpdateConcurrencyException>(() => tracker.SaveChangesAsync());
        await VerdictSave.SaveOverConcurrentWritesAsync(tracker);

        await using var check = factory.CreateDbContext();
        var now = await check.BackupStorages.AsNoTracking().SingleAsync(b => b.Uuid == bs);
        Assert.Equal("Disconnected", now.Status);
        Assert.Equal("ping failed: test", now.LastError);
        Assert.Equal(reserved, now.AvailableCapacity);
        Assert.Equal(before + 2, now.Version);
    }
}
