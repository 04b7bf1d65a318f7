using Microsoft.EntityFrameworkCore;
using Stowage.Core.Config;
using Stowage.Core.Errors;
using Stowage.Core.Resources;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.GlobalConfigs;

namespace Stowage.Server.Identity;

public sealed record SessionInfo(string Uuid, string AccountUuid, string UserUuid, DateTime CreateDate, DateTime ExpiredDate);

/// <summary>Sessions live in the database so that every server of a cluster accepts them.</summary>
public sealed class SessionService(StowageDbContextFactory dbFactory, GlobalConfigStore configs, TimeProvider clock)
{
    public const string AuthenticationError = "ID.1000";

    static SessionService() => Errors.Register(AuthenticationError, "Authentication failed");

    public async Task<SessionInfo> LogInAsync(string accountName, string passwordSha512, CancellationToken cancellationToken)
    {
        await using var db = dbFactory.CreateDbContext();
        var account = await db.Accounts.AsNoTracking().FirstOrDefaultAsync(a => a.Name == accountName, cancellationToken);
        // Hash even for an unknown account so response time does not reveal which names exist.
        var ok = PasswordHasher.Verify(passwordSha512, account?.PasswordHash ?? DummyHash);
        if (account is null || !ok)
        {
            throw new ApiException(Errors.Of(AuthenticationError, "wrong account name or password"));
        }

        var now = clock.GetUtcNow().UtcDateTime;
        var session = new SessionEntity
        {
            Uuid = ResourceUuid.New(),
            AccountUuid = account.Uuid,
            UserUuid = account.Uuid,
            CreateDate = now,
            ExpiredDate = now.AddSeconds(configs.GetLong(CoreGlobalConfigs.SessionTimeout)),
        };
        db.Sessions.Add(session);
        await db.SaveChangesAsync(cancellationToken);
        return ToInfo(session);
    }

    /// <summary>Returns the live session, or null when it is unknown or expired.</summary>
    public async Task<SessionInfo?> FindValidAsync(string uuid, CancellationToken cancellationToken)
    {
        if (!ResourceUuid.IsValid(uuid))
        {
            return null;
        }

        await using var db = dbFactory.CreateDbContext();
        var s = await db.Sessions.AsNoTracking().FirstOrDefaultAsync(x => x.Uuid == uuid, cancellationToken);
        return s is null || s.ExpiredDate <= clock.GetUtcNow().UtcDateTime ? null : ToInfo(s);
    }

    public async Task<SessionInfo> RequireAsync(string uuid, CancellationToken cancellationToken) =>
        await FindValidAsync(uuid, cancellationToken)
        ?? throw new ApiException(Errors.Of(Errors.InvalidSession, $"Session expired or invalid, session uuid[{uuid}]"));

    public async Task LogOutAsync(string uuid, CancellationToken cancellationToken)
    {
        await using var db = dbFactory.CreateDbContext();
        await db.Sessions.Where(s => s.Uuid == uuid).ExecuteDeleteAsync(cancellationToken);
    }

    public async Task<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = dbFactory.CreateDbContext();
        return await db.Sessions.Where(s => s.ExpiredDate <= now).ExecuteDeleteAsync(cancellationToken);
    }

    private static readonly string DummyHash = PasswordHasher.Hash(new string('0', 128));

    private static SessionInfo ToInfo(SessionEntity s) => new(s.Uuid, s.AccountUuid, s.UserUuid, s.CreateDate, s.ExpiredDate);
}
