using System.Text.Json.Nodes;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Errors;
using Stowage.Persistence;
using Stowage.Server.Features.BackupStorage;
using Stowage.Server.Features.Images;
using Stowage.Server.Features.VolumeArchives;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.Verification;

/// <summary>
/// VerifyImage, VerifyVolumeSnapshot, VerifyVolumeBackup (one item: all its copies, or those on the named backup
/// storages) and VerifyBackupStorage (every copy on it). Async long jobs: task progress shows each copy's bytes read,
/// CancelLongJob stops the running verification (nothing is left on the storage, the copy keeps its state).
/// The answer lists every copy's outcome (<c>Ok</c>, <c>Corrupted</c>, <c>Failed</c>, <c>Skipped</c>) and repair.
/// </summary>
public static class VerifyApis
{
    private static readonly ParamSpec Repair = new("repair", ParamType.Bool)
    {
        Default = "backupStorage/verify.repair", Description = "replace a copy found Corrupted from a Ready, verified copy on another backup storage (default: global config backupStorage/verify.repair)",
    };

    public static ApiDescriptor Image { get; } = Item("VerifyImage", "/images/{uuid}/actions", "verifyImage", ImageRules.ImageUuid(), CopyTable.Image, "image",
        ImageRules.InventoryClass, async (db, uuid, ct) => JsonSerializerNode(await ImageInventory.LoadOneAsync(db, uuid, ct)));

    public static IEnumerable<ApiDescriptor> Archives => VolumeArchiveKind.All.Select(kind =>
        Item("Verify" + kind.ApiNoun, kind.Path + "/{uuid}/actions", "verify" + kind.ApiNoun, kind.UuidParam(), CopyTable.VolumeArchive, kind.Noun, kind.InventoryClass,
            async (db, uuid, ct) => JsonSerializerNode((await VolumeArchiveInventory.LoadAsync(db, kind, [uuid], ct)).Single())));

    public static ApiDescriptor BackupStorage { get; } = new()
    {
        Name = "VerifyBackupStorage",
        Method = "PUT",
        Path = "/backup-storage/{uuid}/actions",
        BodyKey = "verifyBackupStorage",
        Description = "Re-read every Ready or Corrupted copy on a backup storage where its bytes are and compare size, md5 and sha256 with the recorded ones; a mismatch or a missing file marks the copy Corrupted (and repairs it when it can)",
        Timeout = TimeSpan.FromDays(30),
        LongJob = true,
        Params = [BackupStorageParams.BsUuid(), Repair],
        OwnerBackupStorage = a => a.String("uuid"),
        Handler = async ctx =>
        {
            var uuid = ctx.Args.RequiredString("uuid");
            List<StoredCopyRef> copies;
            await using (var db = ctx.Get<StowageDbContextFactory>().CreateDbContext())
            {
                copies = [.. (await VerificationRows.OnBackupStorageAsync(db, uuid, ctx.CancellationToken)).Select(c => c.Copy)];
            }

            var verdicts = await RunAsync(ctx, copies);
            var body = new JsonObject
            {
                ["total"] = verdicts.Count,
                ["ok"] = verdicts.Count(v => v.Outcome == VerificationRows.Ok),
                ["corrupted"] = verdicts.Count(v => v.Outcome == VerificationRows.Corrupted),
                ["repaired"] = verdicts.Count(v => v.Repair == "Repaired"),
                ["failed"] = verdicts.Count(v => v.Outcome == VerificationRows.Failed),
                ["results"] = Results(verdicts.Where(v => v.Outcome != VerificationRows.Ok)),
            };
            return ApiReply.Of(body);
        },
    };

    private static JsonNode? JsonSerializerNode(object inventory) => System.Text.Json.JsonSerializer.SerializeToNode(inventory, inventory.GetType(), ZStackJson.Options);

    private static ApiDescriptor Item(
        string name, string path, string bodyKey, ParamSpec uuid, CopyTable table, string noun, string inventoryClass,
        Func<StowageDbContext, string, CancellationToken, Task<JsonNode?>> inventory) => new()
    {
        Name = name,
        Method = "PUT",
        Path = path,
        BodyKey = bodyKey,
        ResultClass = inventoryClass,
        Description = $"Re-read the copies of a {noun} where their bytes are and compare size, md5 and sha256 with the recorded ones; a mismatch or a missing file marks the copy Corrupted (and repairs it from a good copy when it can)",
        Timeout = TimeSpan.FromHours(72),
        LongJob = true,
        // One named backup storage: the call runs on its owner in a cluster (the copy's transfers are tracked there).
        OwnerBackupStorage = a => a.List("backupStorageUuids") is [var one] ? one : null,
        Params = [uuid, ImageRules.BackupStorageUuids with { Description = $"verify only the copies on these backup storages (default: every Ready or Corrupted copy of the {noun})" }, Repair],
        Handler = async ctx =>
        {
            var ct = ctx.CancellationToken;
            var id = ctx.Args.RequiredString("uuid");
            var only = ctx.Args.List("backupStorageUuids");
            var dbFactory = ctx.Get<StowageDbContextFactory>();
            List<StoredCopyRef> copies;
            await using (var db = dbFactory.CreateDbContext())
            {
                var item = await VerificationRows.LoadItemAsync(db, table, id, ct) ?? throw ApiException.NotFound($"Cannot find {noun}[uuid:{id}], it may have been deleted");
                if (only?.FirstOrDefault(b => item.Copies.All(c => c.BsUuid != b)) is { } missing)
                {
                    throw ApiException.Argument($"the {noun}[uuid:{id}] has no copy on the backup storage[uuid:{missing}]");
                }

                copies = [.. item.Copies.Where(c => (only is null || only.Contains(c.BsUuid)) && c.Status is ImageStatus.Ready or ImageStatus.Corrupted)
                    .Select(c => new StoredCopyRef(new CopyRow(table, c.Id), id, c.BsUuid, c.InstallPath, noun))];
                if (copies.Count == 0)
                {
                    throw ApiException.Operation($"the {noun}[uuid:{id}] has no Ready or Corrupted copy {(only is null ? string.Empty : "on those backup storages ")}to verify");
                }
            }

            var verdicts = await RunAsync(ctx, copies);
            await using (var db = dbFactory.CreateDbContext())
            {
                var body = new JsonObject { ["inventory"] = await inventory(db, id, CancellationToken.None), ["results"] = Results(verdicts) };
                return ApiReply.Of(body, new Dictionary<string, string> { ["inventory"] = inventoryClass });
            }
        },
    };

    /// <summary>Verifies the copies, at most <c>backupStorage/verify.concurrency</c> per backup storage at once (the gate holds the rest).</summary>
    private static async Task<List<CopyVerdict>> RunAsync(ApiContext ctx, List<StoredCopyRef> copies)
    {
        var verifier = ctx.Get<CopyVerifier>();
        var repair = ctx.Args.Bool("repair") ?? ctx.Get<GlobalConfigs.GlobalConfigStore>().GetBool(VerificationConfigs.Repair);
        var verdicts = new CopyVerdict[copies.Count];
        await Parallel.ForEachAsync(Enumerable.Range(0, copies.Count), new ParallelOptions { MaxDegreeOfParallelism = 8, CancellationToken = ctx.CancellationToken },
            async (i, ct) => verdicts[i] = await verifier.VerifyAsync(copies[i], ctx.JobUuid, repair, ct));
        return [.. verdicts];
    }

    private static JsonArray Results(IEnumerable<CopyVerdict> verdicts) => [.. verdicts.Select(v => (JsonNode)new JsonObject
    {
        ["uuid"] = v.Copy.ItemUuid,
        ["type"] = v.Copy.Noun,
        ["backupStorageUuid"] = v.Copy.BsUuid,
        ["installPath"] = v.Copy.InstallPath,
        ["outcome"] = v.Outcome,
        ["reason"] = v.Reason,
        ["repair"] = v.Repair,
        ["repairReason"] = v.RepairReason,
    })];
}
