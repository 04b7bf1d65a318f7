using Microsoft.EntityFrameworkCore;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.Images;
using Stowage.Server.Features.VolumeArchives;
using Stowage.Server.Jobs;

namespace Stowage.Server.Cluster;

/// <summary>
/// Cleans up after a management server whose heartbeat aged past the bound. Whichever live server deletes
/// its row (a conditional delete, so exactly one does) fails its unfinished jobs with a clear error,
/// releases its backup storages (the ring's new owners claim and reconnect them, and their sweepers remove
/// its temporary files) and fails the copies it was writing, giving their reservations back.
/// </summary>
public sealed partial class ClusterReaper(StowageDbContextFactory dbFactory, IServiceProvider services, TimeProvider clock, ILogger<ClusterReaper> logger)
{
    public async Task ReapAsync(string deadNode, TimeSpan deadAfter, CancellationToken ct)
    {
        int jobs, storages;
        await using (var db = dbFactory.CreateDbContext())
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var gone = await db.Database.ExecuteSqlInterpolatedAsync(
                $"DELETE FROM management_nodes WHERE id = {deadNode} AND heartbeat_date <= now() - make_interval(secs => {deadAfter.TotalSeconds})", ct);
            if (gone == 0)
            {
                return;
            }

            var now = clock.GetUtcNow().UtcDateTime;
            var error = JobStore.Serialize(Core.Errors.Errors.Operr(
                $"the management node[{deadNode}] running this job stopped responding (no heartbeat for {deadAfter.TotalSeconds:0} s); the job did not complete"));
            jobs = await db.ApiJobs.Where(j => j.State == JobStates.Running && j.NodeId == deadNode)
                .ExecuteUpdateAsync(s => s.SetProperty(j => j.State, JobStates.Failed).SetProperty(j => j.FinishDate, now).SetProperty(j => j.ErrorJson, error), ct);
            await db.LongJobs.Where(j => j.State == "Running" && j.ManagementNodeUuid == deadNode)
                .ExecuteUpdateAsync(s => s.SetProperty(j => j.State, "Failed").SetProperty(j => j.JobResult, error).SetProperty(j => j.LastOpDate, now), ct);
            storages = await db.BackupStorages.Where(b => b.OwnerNodeId == deadNode)
                .ExecuteUpdateAsync(s => s.SetProperty(b => b.OwnerNodeId, (string?)null), ct);
            await tx.CommitAsync(ct);
        }

        var reason = $"the management node[{deadNode}] running the download stopped responding";
        var copies = await ImageRecovery.RecoverAsync(services, (n, _) => n == deadNode, reason, ct)
            + await VolumeArchiveRecovery.RecoverAsync(services, (n, _) => n == deadNode, reason, ct);
        LogReaped(logger, deadNode, jobs, storages, copies);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "management node {Node} is dead: {Jobs} running jobs failed, {Storages} backup storages released to the live nodes, {Copies} unfinished copies failed")]
    private static partial void LogReaped(ILogger logger, string node, int jobs, int storages, int copies);
}
