using System.Net;
using Microsoft.Extensions.Logging;
using Stowage.Core.Storage;

namespace Stowage.ObjectStore.Swift;

/// <summary>
/// OpenStack Swift backup storage: url <c>&lt;container&gt;[/&lt;prefix&gt;]</c>, settings authUrl, username,
/// authVersion (1 or 3) and for Keystone projectName, projectDomainName, userDomainName, region; the secret is
/// the password (v1: the key). Register as a singleton <see cref="IBackupStorageDriver"/>.
/// </summary>
public sealed class SwiftBackupStorageDriver : ObjectStoreDriver
{
    public const string TypeName = "SwiftBackupStorage";

    private readonly HttpClient _http;
    private readonly TimeProvider _time;

    public SwiftBackupStorageDriver(ILogger<SwiftBackupStorageDriver>? logger = null, TimeProvider? time = null)
        : base(logger)
    {
        _time = time ?? TimeProvider.System;
        _http = new HttpClient(new SocketsHttpHandler
        {
            ConnectTimeout = TimeSpan.FromSeconds(10),
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            AutomaticDecompression = DecompressionMethods.None,
            AllowAutoRedirect = false,
        })
        {
            // Long segment PUTs and streamed GETs: the per-request limit is the caller's token, this only bounds a hung store.
            Timeout = TimeSpan.FromMinutes(10),
        };
    }

    public override string Type => TypeName;

    /// <summary>The auth of a backup storage's client (tests watch token renewals), or null when none is open.</summary>
    internal SwiftAuth? AuthOf(BackupStorageTarget target) => (Open(target).Client as SwiftClient)?.Auth;

    private protected override IObjectClient CreateClient(BackupStorageTarget target, ObjectStoreLocation location) =>
        new SwiftClient(_http, new SwiftAuth(_http, target, _time), target, location.Container);

    private protected override string StoreIdentity(BackupStorageTarget target) =>
        $"{target.Setting(ObjectStoreSettings.AuthUrl)}\n{target.Setting(ObjectStoreSettings.Username)}\n{target.Setting(ObjectStoreSettings.ProjectName)}";

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            _http.Dispose();
        }
    }
}
