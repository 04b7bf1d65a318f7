using System.Security.Cryptography;
using System.Text;

namespace Stowage.Server.Identity;

/// <summary>
/// What the database keeps of a session id: a hash, so a copy of the database (or a local user who can read
/// it) opens no session. The id is 128 random bits, so an unsalted SHA-256 cannot be reversed by search; it is
/// cut to 32 hex characters to fit the key column the clear id used to fill.
/// </summary>
public static class SessionKeys
{
    public static string Of(string sessionId) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("stowage-session:" + sessionId)))[..32];

    public static string? OfOptional(string? sessionId) => sessionId is null ? null : Of(sessionId);
}
