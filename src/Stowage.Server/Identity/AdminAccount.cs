using System.Net;
using Microsoft.EntityFrameworkCore;
using Stowage.Core.Resources;
using Stowage.Persistence;
using Stowage.Persistence.Entities;

namespace Stowage.Server.Identity;

/// <summary>
/// The built-in <c>admin</c> account. Its password comes from configuration; ZStack's default
/// <c>password</c> is tolerated only while every listening address is a loopback one.
/// </summary>
public static class AdminAccount
{
    public const string Name = "admin";
    public const string DefaultPassword = "password";

    /// <summary>Throws when the default password would be exposed beyond this machine.</summary>
    public static void EnsureSafe(string? configuredPassword, IEnumerable<string> urls)
    {
        if (!string.IsNullOrEmpty(configuredPassword))
        {
            return;
        }

        var exposed = urls.Where(u => !IsLoopbackUrl(u)).ToList();
        if (exposed.Count > 0)
        {
            throw new InvalidOperationException(
                $"refusing to start: the server would listen on {string.Join(", ", exposed)} with the default admin password; set STOWAGE_ADMIN_PASSWORD");
        }
    }

    public static bool IsLoopbackUrl(string url)
    {
        var hostStart = url.IndexOf("://", StringComparison.Ordinal);
        var rest = hostStart >= 0 ? url[(hostStart + 3)..] : url;
        string host;
        if (rest.StartsWith('['))
        {
            var end = rest.IndexOf(']', StringComparison.Ordinal);
            host = end > 0 ? rest[1..end] : rest;
        }
        else
        {
            host = rest.Split(':', '/')[0];
        }

        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        return IPAddress.TryParse(host, out var ip) && IPAddress.IsLoopback(ip);
    }

    /// <summary>Creates the account, and re-hashes it when the configured password no longer matches.</summary>
    public static async Task SeedAsync(StowageDbContextFactory dbFactory, string? configuredPassword, TimeProvider clock, CancellationToken cancellationToken)
    {
        var digest = PasswordHasher.Sha512Hex(string.IsNullOrEmpty(configuredPassword) ? DefaultPassword : configuredPassword);
        await using var db = dbFactory.CreateDbContext();
        var admin = await db.Accounts.FirstOrDefaultAsync(a => a.Name == Name, cancellationToken);
        var now = clock.GetUtcNow().UtcDateTime;
        if (admin is null)
        {
            var uuid = ResourceUuid.New();
            db.Accounts.Add(new AccountEntity { Uuid = uuid, Name = Name, PasswordHash = PasswordHasher.Hash(digest), Type = "SystemAdmin", CreateDate = now, LastOpDate = now });
            db.Resources.Add(new ResourceEntity { Uuid = uuid, ResourceType = "AccountVO", ResourceName = Name, CreateDate = now });
        }
        else if (!PasswordHasher.Verify(digest, admin.PasswordHash))
        {
            admin.PasswordHash = PasswordHasher.Hash(digest);
            admin.LastOpDate = now;
            // A changed password ends every session opened with the old one.
            db.Sessions.RemoveRange(db.Sessions.Where(s => s.AccountUuid == admin.Uuid));
        }

        await db.SaveChangesAsync(cancellationToken);
    }
}
