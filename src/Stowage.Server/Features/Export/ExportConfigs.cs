using Stowage.Core.Config;

namespace Stowage.Server.Features.Export;

/// <summary>Global configs of image export (category <c>backupStorage</c>; ZStack has none for SFTP).</summary>
public static class ExportConfigs
{
    public static readonly GlobalConfigDefinition ExpirationTime = new(
        "backupStorage", "export.expirationTime",
        "Seconds an export URL keeps working after ExportImageFromBackupStorage created it; checked on every request, so shortening it also ends older URLs",
        "86400", GlobalConfigType.Long, NumberGreaterThan: 1);

    public static readonly GlobalConfigDefinition BaseUrl = new(
        "backupStorage", "export.baseUrl",
        "Scheme, host and port hypervisor hosts reach Stowage at (e.g. https://stowage.example:8443), for export URLs; empty uses this server's first listening address",
        string.Empty, GlobalConfigType.String);

    public static readonly GlobalConfigDefinition ProxyObjectStore = new(
        "backupStorage", "export.proxyObjectStore",
        "Serve export downloads of Swift and S3 backup storages through Stowage instead of redirecting each download to a short-lived URL signed by the store (for stores the hypervisor hosts cannot reach)",
        "false", GlobalConfigType.Bool);

    /// <summary>How long a store-signed URL handed out by a redirect works; a download that started goes on past it.</summary>
    public static readonly TimeSpan SignedUrlLifetime = TimeSpan.FromMinutes(15);

    public static IEnumerable<GlobalConfigDefinition> All => [ExpirationTime, BaseUrl, ProxyObjectStore];
}
