using Amazon;
using Amazon.Runtime;
using Amazon.S3;
using Microsoft.Extensions.Logging;
using Stowage.Core.Storage;

namespace Stowage.ObjectStore.S3;

/// <summary>
/// S3 backup storage: url <c>&lt;bucket&gt;[/&lt;prefix&gt;]</c>, settings endpoint, accessKey, region, pathStyle,
/// totalCapacity; the secret is the secret key. Register as a singleton <see cref="IBackupStorageDriver"/>.
/// </summary>
public sealed class S3BackupStorageDriver(ILogger<S3BackupStorageDriver>? logger = null) : ObjectStoreDriver(logger)
{
    public const string TypeName = "S3BackupStorage";

    public override string Type => TypeName;

    private protected override IObjectClient CreateClient(BackupStorageTarget target, ObjectStoreLocation location)
    {
        var region = target.Setting(ObjectStoreSettings.Region) is { Length: > 0 } r ? r : "us-east-1";
        var config = new AmazonS3Config
        {
            ForcePathStyle = string.Equals(target.Setting(ObjectStoreSettings.PathStyle), "true", StringComparison.OrdinalIgnoreCase),
            AuthenticationRegion = region,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            MaxErrorRetry = 2,
            Timeout = TimeSpan.FromMinutes(10),
        };
        if (target.Setting(ObjectStoreSettings.Endpoint) is { Length: > 0 } endpoint)
        {
            if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https"))
            {
                throw new StorageException(StorageFailure.BadLocation, $"endpoint {endpoint} of backup storage {target.Uuid} is not an http(s) url");
            }

            config.ServiceURL = endpoint;
        }
        else
        {
            config.RegionEndpoint = RegionEndpoint.GetBySystemName(region);
        }

        var credentials = new BasicAWSCredentials(ObjectStoreSettings.Required(target, ObjectStoreSettings.AccessKey), ObjectStoreSettings.Secret(target));
        return new S3Client(new AmazonS3Client(credentials, config), target, location.Container);
    }

    private protected override string StoreIdentity(BackupStorageTarget target) =>
        $"{target.Setting(ObjectStoreSettings.Endpoint)}\n{target.Setting(ObjectStoreSettings.Region)}\n{target.Setting(ObjectStoreSettings.AccessKey)}";
}
