using Stowage.Core.Errors;
using Stowage.Core.Resources;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.Common;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.BackupStorage;

/// <summary>
/// What a type's Add API hands to <see cref="BackupStorageAdd.RunAsync"/> once it has validated its own
/// parameters. <see cref="AddTypeRowAsync"/> checks what must be checked inside the add's transaction (e.g.
/// overlapping directories on one host) and adds the type's own row for the new uuid.
/// </summary>
public sealed record NewBackupStorage(
    string Type,
    string Url,
    string Describe,
    StorageSecret? Secret,
    Func<StowageDbContext, string, DateTime, CancellationToken, Task> AddTypeRowAsync);

/// <summary>
/// The add procedure every type shares: the row appears (Connecting) under the backup storage's lock, the
/// driver connects and claims the identity marker, and any failure removes every trace so a retry with the
/// same resourceUuid works. Takes the common parameters (<see cref="Params"/>) from the call.
/// </summary>
public static class BackupStorageAdd
{
    /// <summary>The parameters every Add&lt;Type&gt;BackupStorage takes, besides the type's own.</summary>
    public static IReadOnlyList<ParamSpec> Params(string urlDescription) =>
    [
        new("name") { Required = true, MaxLength = 255, EmptyString = false, Description = "backup storage name" },
        new("description") { MaxLength = 2048, Description = "free text" },
        new("url") { Required = true, MaxLength = 2048, EmptyString = false, Description = urlDescription },
        new("type") { MaxLength = 255, Description = "accepted for SDK compatibility; must be the API's type when given" },
        new("importImages", ParamType.Bool) { Default = "false", Description = "register the images listed in <url>/bs_sftp_info.json whose files are there; the reply lists importedImageUuids and skippedImages" },
        new("resourceUuid") { Description = "uuid to give the new backup storage (32 hex)" },
        new("tagUuids", ParamType.StringList) { Description = "accepted for SDK compatibility" },
    ];

    /// <summary>Refuses a <c>type</c> parameter that names another type than the API's.</summary>
    public static void CheckType(ApiArguments a, string apiName, string type)
    {
        if (a.String("type") is { } given && given != type)
        {
            throw ApiException.Argument($"type[{given}] is not valid for {apiName}; it must be {type}");
        }
    }

    public static async Task<ApiReply> RunAsync(ApiContext ctx, NewBackupStorage plan)
    {
        var a = ctx.Args;
        var ct = ctx.CancellationToken;
        BackupStorageTags.CheckSystemTags(ctx.SystemTags);
        var connector = ctx.Get<BackupStorageConnector>();
        var dbFactory = ctx.Get<StowageDbContextFactory>();
        var now = ctx.Get<TimeProvider>().GetUtcNow().UtcDateTime;

        // Phase 1: the row exists (status Connecting) so queries see the add in progress. Its lock is taken
        // before the row is visible, so no ping, reconnect or hand-over to another server starts mid-add.
        BackupStorageEntity bs;
        IDisposable? held = null;
        await using (var db = dbFactory.CreateDbContext())
        {
            await using var tx = await db.Database.BeginTransactionAsync(ct);
            var uuid = await ResourceIndex.ClaimUuidAsync(db, a.String("resourceUuid"), ct);
            bs = new BackupStorageEntity
            {
                Uuid = uuid, Name = a.RequiredString("name"), Description = a.String("description"), Url = plan.Url, Type = plan.Type,
                State = nameof(ResourceState.Enabled), Status = BackupStorageStatus.Connecting, CreateDate = now, LastOpDate = now,
                OwnerNodeId = ctx.Get<Hosting.NodeIdentity>().Id,
            };
            ResourceIndex.Add(db, uuid, BackupStorageQueries.ResourceType, bs.Name, now, ctx.SystemTags, ctx.UserTags);
            db.BackupStorages.Add(bs);
            await plan.AddTypeRowAsync(db, uuid, now, ct);
            held = await ctx.Get<KeyedLocks>().AcquireAsync(BackupStorageConnector.LockKey(uuid), ct);
            try
            {
                await ResourceIndex.SaveAsync(db, ct);
                await tx.CommitAsync(ct);
            }
            catch
            {
                held.Dispose();
                throw;
            }
        }

        // Phase 2: connect; any failure removes every trace so a retry with the same resourceUuid works.
        using var locked = held;
        var markerWritten = false;
        BackupStorageTarget? target = null;
        try
        {
            await using var db = dbFactory.CreateDbContext();
            db.Attach(bs);
            var row = await connector.FindRowAsync(db, bs, tracked: true, ct);
            target = connector.BuildTarget(bs, row, plan.Secret);
            await connector.ConnectAsync(db, bs, row, target, ConnectMode.NewAdd, ct);
            markerWritten = true;
            await db.SaveChangesAsync(ct);
            var reply = (await BackupStorageInventory.LoadOneAsync(ctx, db, bs.Uuid)).Reply();
            if (a.Bool("importImages") == true)
            {
                await Images.ImageImporter.AddToReplyAsync(ctx, bs, target, reply, ct);
            }

            return reply;
        }
        catch (Exception e)
        {
            await RemoveTracesAsync(ctx, bs, target, markerWritten);
            if (e is StorageException se)
            {
                throw BackupStorageConnector.Failure(Errors.CreateResource, $"failed to add {plan.Describe}", se);
            }

            throw;
        }
    }

    private static async Task RemoveTracesAsync(ApiContext ctx, BackupStorageEntity bs, BackupStorageTarget? target, bool markerWritten)
    {
        var connector = ctx.Get<BackupStorageConnector>();
        var driver = connector.Drivers.Get(bs.Type);
        if (markerWritten && target is not null)
        {
            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
                await driver.RemoveMarkerAsync(target, timeout.Token);
            }
            catch (Exception e) when (e is StorageException or OperationCanceledException)
            {
                // The row goes anyway; a stale marker is adopted by the next add of that directory.
            }
        }

        driver.Forget(bs.Uuid);
        await using var db = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        await ResourceIndex.RemoveAsync(db, bs.Uuid, CancellationToken.None);
    }
}
