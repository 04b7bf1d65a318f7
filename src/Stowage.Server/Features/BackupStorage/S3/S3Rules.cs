using Stowage.Persistence.Entities;
using Stowage.Server.Features.BackupStorage.ObjectStore;
using Stowage.Server.Protocol;

namespace Stowage.Server.Features.BackupStorage.S3;

/// <summary>S3's own parameters and how they become an <see cref="S3BackupStorageEntity"/>.</summary>
public static class S3Rules
{
    public static IReadOnlyList<ParamSpec> Params(bool add) =>
    [
        new("endpoint") { MaxLength = 2048, Description = "endpoint url (http or https); absent: AWS's endpoint of the region" },
        new("accessKey") { Required = add, MaxLength = 255, EmptyString = false, Description = "access key id" },
        new("secretKey") { Required = add, MaxLength = 1024, NoTrim = true, Secret = true, EmptyString = false, Description = "secret access key" },
        ObjectStoreRules.Region,
        new("pathStyle", ParamType.Bool) { Default = add ? "false" : null, Description = "path-style addressing (endpoint/bucket/key), needed by most private stores" },
        ObjectStoreRules.TotalCapacity,
    ];

    /// <summary>Applies the given parameters over <paramref name="row"/> (all of them on add).</summary>
    public static void Apply(ApiArguments a, S3BackupStorageEntity row)
    {
        if (a.String("endpoint") is { } endpoint)
        {
            row.Endpoint = endpoint.Length == 0 ? string.Empty : ObjectStoreRules.CheckHttpUrl("endpoint", endpoint);
        }

        row.AccessKey = a.String("accessKey") ?? row.AccessKey;
        row.Region = a.String("region") ?? row.Region;
        row.PathStyle = a.Bool("pathStyle") ?? row.PathStyle;
        row.TotalCapacity = a.Long("totalCapacity") ?? row.TotalCapacity;
    }

    public static bool ConnectionChanged(ApiArguments a) =>
        new[] { "endpoint", "accessKey", "secretKey", "region", "pathStyle", "totalCapacity" }.Any(a.Has);
}
