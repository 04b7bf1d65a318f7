using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Config;
using Stowage.Core.Errors;
using Stowage.Core.Resources;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.GlobalConfigs;

namespace Stowage.Server.Identity;

public sealed record SessionInfo(string Uuid, string AccountUuid, string UserUuid, DateTime CreateDate, DateTime ExpiredDate);

/// <summary>
/// Sessions live in the database so that every server of a cluster accepts them. Every API call checks
/// its session, so live sessions are remembered for <see cref="CacheFor"/>: never past their expiry,
/// and a logout on this server forgets them at once. A logout on another server of a cluster takes
/// effect here within <see cref="CacheFor"/>.
/// </summary>
public sealed class SessionService(StowageDbContextFactory dbFactory, GlobalConfigStore configs, TimeProvider clock)
{
    public const string AuthenticationError = "ID.1000";

    public static readonly TimeSpan CacheFor = TimeSpan.FromSeconds(2);

    private const int MaxCached = 10_000;

    private readonly ConcurrentDictionary<string, (SessionInfo Session, DateTime Until)> _cache = new(StringComparer.Ordinal);

    // Sessions logged out here, kept a little longer than a lookup can take, so that a lookup that read
    // the row just before the logout deleted it cannot put the session back into the cache.
    private readonly ConcurrentDictionary<string, DateTime> _loggedOut = new(StringComparer.Ordinal);

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
        var id = ResourceUuid.New();
        var session = new SessionEntity
        {
            Uuid = SessionKeys.Of(id),
            AccountUuid = account.Uuid,
            UserUuid = account.Uuid,
            CreateDate = now,
            ExpiredDate = now.AddSeconds(configs.GetLong(CoreGlobalConfigs.SessionTimeout)),
        };
        db.Sessions.Add(session);
        await db.SaveChangesAsync(cancellationToken);
        return ToInfo(id, session);
    }

    /// <summary>Returns the live session, or null when it is unknown or expired.</summary>
    public async Task<SessionInfo?> FindValidAsync(string uuid, CancellationToken cancellationToken)
    {
        if (!ResourceUuid.IsValid(uuid))
        {
            return null;
        }

        var now = clock.GetUtcNow().UtcDateTime;
        if (_cache.TryGetValue(uuid, out var hit))
        {
            if (now < hit.Until)
            {
                return hit.Session;
            }

            _cache.TryRemove(new KeyValuePair<string, (SessionInfo, DateTime)>(uuid, hit));
        }

        await using var db = dbFactory.CreateDbContext();
        var key = SessionKeys.Of(uuid);
        var s = await db.Sessions.AsNoTracking().FirstOrDefaultAsync(x => x.Uuid == key, cancellationToken);
        if (s is null || s.ExpiredDate <= now || _loggedOut.ContainsKey(uuid))
        {
            return null;
        }

        var info = ToInfo(uuid, s);
        if (_cache.Count >= MaxCached)
        {
            _cache.Clear();
        }

        var until = now + CacheFor;
        _cache[uuid] = (info, until < s.ExpiredDate ? until : s.ExpiredDate);
        return info;
    }

    public async Task<SessionInfo> RequireAsync(string uuid, CancellationToken cancellationToken) =>
        await FindValidAsync(uuid, cancellationToken)
        ?? throw new ApiException(Errors.Of(Errors.InvalidSession, $"Session expired or invalid, session uuid[{uuid}]"));

    public async Task LogOutAsync(string uuid, CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        foreach (var (old, until) in _loggedOut)
        {
            if (until < now)
            {
                _loggedOut.TryRemove(old, out _);
            }
        }

        _loggedOut[uuid] = now + TimeSpan.FromMinutes(1);
        _cache.TryRemove(uuid, out _);
        await using var db = dbFactory.CreateDbContext();
        var key = SessionKeys.Of(uuid);
        var deleted = await db.Sessions.Where(s => s.Uuid == key).ExecuteDeleteAsync(cancellationToken);
        _cache.TryRemove(uuid, out _);
        if (deleted == 0)
        {
            // No such session: nothing to guard, and random uuids must not pile up here.
            _loggedOut.TryRemove(uuid, out _);
        }
    }

    public async Task<int> PurgeExpiredAsync(CancellationToken cancellationToken)
    {
        var now = clock.GetUtcNow().UtcDateTime;
        await using var db = dbFactory.CreateDbContext();
        return await db.Sessions.Where(s => s.ExpiredDate <= now).ExecuteDeleteAsync(cancellationToken);
    }

    private static readonly string DummyHash = PasswordHasher.Hash(new string('0', 128));

    /// <summary>The session as the caller knows it: its clear id, which the row does not hold.</summary>
    private static SessionInfo ToInfo(string id, SessionEntity s) => new(id, s.AccountUuid, s.UserUuid, s.CreateDate, s.ExpiredDate);
}
