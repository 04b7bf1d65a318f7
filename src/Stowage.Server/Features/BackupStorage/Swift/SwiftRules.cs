using Stowage.Core.Errors;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.BackupStorage.ObjectStore;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.BackupStorage.Swift;

/// <summary>Swift's own parameters (auth v1 or Keystone v3) and how they become a <see cref="SwiftBackupStorageEntity"/>.</summary>
public static class SwiftRules
{
    public static IReadOnlyList<ParamSpec> Params(bool add) =>
    [
        new("authUrl") { Required = add, MaxLength = 2048, EmptyString = false, Description = "auth endpoint: .../auth/v1.0 (tempauth, swauth) or a Keystone .../v3" },
        new("authVersion") { ValidValues = ["1", "3"], Description = "1 or 3; guessed from authUrl when absent" },
        new("username") { Required = add, MaxLength = 255, EmptyString = false, Description = "user (v1: account:user)" },
        new("password") { Required = add, MaxLength = 1024, NoTrim = true, Secret = true, EmptyString = false, Description = "password (v1: the key)" },
        new("projectName") { MaxLength = 255, EmptyString = false, Description = "Keystone project to scope the token to (required with v3)" },
        new("projectDomainName") { MaxLength = 255, EmptyString = false, Description = "Keystone domain of the project (default Default)" },
        new("userDomainName") { MaxLength = 255, EmptyString = false, Description = "Keystone domain of the user (default Default)" },
        ObjectStoreRules.Region,
        ObjectStoreRules.TotalCapacity,
    ];

    /// <summary>Applies the given parameters over <paramref name="row"/> (all of them on add) and checks the result as a whole.</summary>
    public static void Apply(ApiArguments a, SwiftBackupStorageEntity row)
    {
        row.AuthUrl = a.String("authUrl") is { } url ? ObjectStoreRules.CheckHttpUrl("authUrl", url) : row.AuthUrl;
        row.AuthVersion = a.String("authVersion") ?? row.AuthVersion;
        row.Username = a.String("username") ?? row.Username;
        row.ProjectName = a.String("projectName") ?? row.ProjectName;
        row.ProjectDomainName = a.String("projectDomainName") ?? row.ProjectDomainName;
        row.UserDomainName = a.String("userDomainName") ?? row.UserDomainName;
        row.Region = a.String("region") ?? row.Region;
        row.TotalCapacity = a.Long("totalCapacity") ?? row.TotalCapacity;
        var keystone = row.AuthVersion == "3" || (row.AuthVersion is null && row.AuthUrl.EndsWith("/v3", StringComparison.Ordinal));
        if (keystone && row.ProjectName is null)
        {
            throw ApiException.Argument("projectName is mandatory with Keystone v3 auth");
        }

        if (!keystone && !row.Username.Contains(':', StringComparison.Ordinal))
        {
            throw ApiException.Argument($"username[{row.Username}] must be account:user for auth v1");
        }
    }

    public static bool ConnectionChanged(ApiArguments a) =>
        new[] { "authUrl", "authVersion", "username", "password", "projectName", "projectDomainName", "userDomainName", "region", "totalCapacity" }.Any(a.Has);
}
