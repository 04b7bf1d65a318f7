using System.Globalization;
using Stowage.Core.Storage;

namespace Stowage.ObjectStore;

/// <summary>Setting names the object-store types read from <see cref="BackupStorageTarget.Settings"/>.</summary>
public static class ObjectStoreSettings
{
    /// <summary>Bytes the store offers when it has no quota of its own (S3, quota-less Swift).</summary>
    public const string TotalCapacity = "totalCapacity";

    /// <summary>Segment (part) size of image writes in bytes; also the memory one write holds, twice.</summary>
    public const string SegmentSize = "segmentSize";

    /// <summary>Swift: the auth endpoint (<c>…/auth/v1.0</c> for v1, <c>…/v3</c> for Keystone).</summary>
    public const string AuthUrl = "authUrl";

    /// <summary>Swift: <c>1</c> (tempauth, swauth) or <c>3</c> (Keystone v3 password auth); guessed from the url when unset.</summary>
    public const string AuthVersion = "authVersion";

    /// <summary>Swift: user name (v1: <c>account:user</c>).</summary>
    public const string Username = "username";

    /// <summary>Keystone: the project to scope the token to.</summary>
    public const string ProjectName = "projectName";

    /// <summary>Keystone: the project's domain (default <c>Default</c>).</summary>
    public const string ProjectDomainName = "projectDomainName";

    /// <summary>Keystone: the user's domain (default <c>Default</c>).</summary>
    public const string UserDomainName = "userDomainName";

    /// <summary>Keystone and S3: region of the catalog endpoint or of the signature.</summary>
    public const string Region = "region";

    /// <summary>S3: endpoint url (empty: AWS's regional endpoint).</summary>
    public const string Endpoint = "endpoint";

    /// <summary>S3: access key id (the secret key is the target's secret).</summary>
    public const string AccessKey = "accessKey";

    /// <summary>S3: <c>true</c> for path-style addressing (endpoint/bucket/key), needed by Swift's s3api and most private stores.</summary>
    public const string PathStyle = "pathStyle";

    public const int DefaultSegmentSize = 16 * 1024 * 1024;

    internal static long? Long(BackupStorageTarget target, string name)
    {
        var text = target.Setting(name);
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0
            ? v
            : throw new StorageException(StorageFailure.BadLocation, $"setting {name} of backup storage {target.Uuid} must be a positive whole number, not {text}");
    }

    internal static string Required(BackupStorageTarget target, string name) =>
        target.Setting(name) is { Length: > 0 } v ? v : throw new StorageException(StorageFailure.BadLocation, $"backup storage {target.Uuid} has no {name}");

    internal static string Secret(BackupStorageTarget target) =>
        target.Secret?.Value is { Length: > 0 } s ? s : throw new StorageException(StorageFailure.AuthenticationFailed, $"backup storage {target.Uuid} has no secret");
}
