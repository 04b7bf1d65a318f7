using System.Globalization;
using System.Text.RegularExpressions;
using Stowage.Core.Errors;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Persistence.Entities;
using Stowage.Server.Features.Common;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.BackupStorage.ObjectStore;

/// <summary>Parameters and checks the object-store types (Swift, S3) share: the url, capacity, http(s) endpoints and the verified update.</summary>
public static partial class ObjectStoreRules
{
    public static ParamSpec TotalCapacity => new("totalCapacity", ParamType.Long)
    {
        Min = 1, Description = "bytes the store offers, for stores without a quota (S3, Swift without an account quota); a Swift account quota wins",
    };

    public static ParamSpec Region => new("region") { MaxLength = 255, EmptyString = false, Description = "region of the endpoint (Keystone catalog) or of the signature (S3)" };

    /// <summary>
    /// Normalises <c>&lt;container&gt;[/&lt;prefix&gt;]</c>: no leading/trailing slash, no empty, <c>.</c> or <c>..</c> segment,
    /// no control characters; an S3 bucket also follows the bucket naming rules (lowercase, digits, dots, hyphens, 3–63).
    /// </summary>
    public static string NormalizeUrl(string url, bool bucket)
    {
        var trimmed = url.Trim('/');
        var segments = trimmed.Split('/');
        if (trimmed.Length == 0 || segments.Any(s => s.Length == 0 || s is "." or "..") || trimmed.Any(char.IsControl))
        {
            throw ApiException.Argument($"the url[{url}] must be <{(bucket ? "bucket" : "container")}>[/<prefix>] without empty, '.' or '..' parts");
        }

        var container = segments[0];
        if (bucket ? !BucketName().IsMatch(container) : System.Text.Encoding.UTF8.GetByteCount(container) > 256)
        {
            throw ApiException.Argument(bucket
                ? $"the bucket[{container}] of url[{url}] is not a valid S3 bucket name (3-63 lowercase letters, digits, '.' and '-')"
                : $"the container[{container}] of url[{url}] is longer than 256 bytes");
        }

        return trimmed;
    }

    /// <summary>An http(s) url (Swift auth url, S3 endpoint); user-typed, so parsed rather than trusted.</summary>
    public static string CheckHttpUrl(string name, string value)
    {
        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || !string.IsNullOrEmpty(uri.UserInfo))
        {
            throw ApiException.Argument($"{name}[{value}] is not an http(s) url (without user info)");
        }

        return value.TrimEnd('/');
    }

    /// <summary>Refuses a url that contains or lies inside another backup storage's url on the same store (<paramref name="sameStore"/> lists them).</summary>
    public static void CheckNoOverlap(IEnumerable<(string Uuid, string Url)> sameStore, string url, string? exceptUuid)
    {
        foreach (var (uuid, other) in sameStore)
        {
            if (uuid != exceptUuid && BackupStorageParams.Overlaps(url, other))
            {
                throw ApiException.Operation($"url[{url}] overlaps the url[{other}] of backup storage[uuid:{uuid}] on the same store");
            }
        }
    }

    public static string? Text(long? value) => value?.ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// Connects with changed settings on detached copies first; nothing is saved unless that succeeds, so a
    /// failed update leaves the backup storage as it was. Returns the probe row carrying the new capacity.
    /// </summary>
    public static async Task<BackupStorageEntity> ProbeAsync(ApiContext ctx, BackupStorageEntity bs, IStorageTypeRow candidate, StorageSecret secret, CancellationToken ct)
    {
        var connector = ctx.Get<BackupStorageConnector>();
        var probe = new BackupStorageEntity
        {
            Uuid = bs.Uuid, Name = bs.Name, Url = bs.Url, Type = bs.Type, State = bs.State, Status = BackupStorageStatus.Connecting,
        };
        await using var scratch = ctx.Get<StowageDbContextFactory>().CreateDbContext();
        try
        {
            await connector.ConnectAsync(scratch, probe, candidate, connector.BuildTarget(probe, candidate, secret), ConnectMode.Adopt, ct);
        }
        catch (StorageException e)
        {
            connector.Drivers.Get(bs.Type).Forget(bs.Uuid);
            throw BackupStorageConnector.Failure(Errors.Operation, $"the new connection settings of backup storage[uuid:{bs.Uuid}] do not work; nothing was changed", e);
        }

        return probe;
    }

    /// <summary>Records a successful probe on the tracked row and drops the driver's client built on the old settings.</summary>
    public static void Adopt(ApiContext ctx, StowageDbContext db, BackupStorageEntity bs, BackupStorageEntity probe)
    {
        var connector = ctx.Get<BackupStorageConnector>();
        bs.TotalCapacity = probe.TotalCapacity;
        bs.AvailableCapacity = probe.AvailableCapacity;
        bs.LastError = null;
        connector.SetStatus(db, bs, BackupStorageStatus.Connected, "connection settings updated");
        connector.Drivers.Get(bs.Type).Forget(bs.Uuid);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", RegexOptions.CultureInvariant)]
    private static partial Regex BucketName();
}
