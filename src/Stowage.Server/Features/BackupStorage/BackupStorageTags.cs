using System.Net;
using Stowage.Core.Errors;
using Stowage.Server.Features.Tags;

namespace Stowage.Server.Features.BackupStorage;

/// <summary>System tags defined for backup storage: one canonical data-network CIDR.</summary>
public sealed class BackupStorageTags : ISystemTagValidator
{
    public const string CidrPrefix = "backupStorage::data::network::cidr::";

    public static void CheckSystemTags(IReadOnlyList<string> systemTags)
    {
        var cidrs = systemTags.Where(t => t.StartsWith(CidrPrefix, StringComparison.Ordinal)).ToList();
        if (cidrs.Count > 1)
        {
            throw ApiException.Argument("only one backupStorage::data::network::cidr system tag is allowed");
        }

        foreach (var c in cidrs)
        {
            CheckCidr(c[CidrPrefix.Length..]);
        }
    }

    public void Validate(string resourceType, string tag)
    {
        if (resourceType == BackupStorageQueries.ResourceType && tag.StartsWith(CidrPrefix, StringComparison.Ordinal))
        {
            CheckCidr(tag[CidrPrefix.Length..]);
        }
    }

    private static void CheckCidr(string cidr)
    {
        if (!IPNetwork.TryParse(cidr, out var network) || network.ToString() != cidr)
        {
            throw ApiException.Argument($"[{cidr}] is not a canonical CIDR, e.g. 10.0.0.0/24 (not 10.0.0.1/24)");
        }
    }
}
