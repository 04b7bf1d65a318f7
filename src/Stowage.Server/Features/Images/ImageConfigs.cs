using Stowage.Core.Config;

namespace Stowage.Server.Features.Images;

/// <summary>The image category of global configs, with ZStack's names and defaults plus the data-path settings.</summary>
public static class ImageConfigs
{
    public const string Direct = "Direct";
    public const string Delay = "Delay";
    public const string Never = "Never";

    public static readonly GlobalConfigDefinition DeletionPolicy = new(
        "image", "deletionPolicy", "Direct deletes the files at once; Delay keeps them until expunged (by hand or after expungePeriod); Never keeps them until expunged by hand",
        Delay, GlobalConfigType.String, ValidValues: [Direct, Delay, Never]);

    public static readonly GlobalConfigDefinition ExpungePeriod = new(
        "image", "expungePeriod", "Seconds a deleted image copy is kept before the expunge task removes it (policy Delay)", "259200", GlobalConfigType.Long, NumberGreaterThan: 1);

    public static readonly GlobalConfigDefinition ExpungeInterval = new(
        "image", "expungeInterval", "Seconds between two runs of the expunge task", "3600", GlobalConfigType.Long, NumberGreaterThan: 1);

    /// <summary>
    /// Replaces ZStack's wall-clock download.timeout, which cut healthy long downloads and let a stalled one
    /// hold its job for hours; the job's own timeout still bounds the whole call.
    /// </summary>
    public static readonly GlobalConfigDefinition StallTimeout = new(
        "image", "download.stallTimeout",
        "Seconds a download (http, sftp, streamed or pulled by the host, or a copy between backup storages) may go without receiving a byte before it is stopped and its file removed; read live by running downloads",
        "300", GlobalConfigType.Long, NumberGreaterThan: 1, NumberLessThan: 86400);

    public static readonly GlobalConfigDefinition DownloadMode = new(
        "image", "download.mode",
        "Auto: the storage host pulls http(s) sources itself with curl or wget and Stowage streams the bytes when the host cannot; HostPull: only the host pulls; Stream: Stowage always streams",
        "Auto", GlobalConfigType.String, ValidValues: ["Auto", "HostPull", "Stream"]);

    public static readonly GlobalConfigDefinition CopyMode = new(
        "image", "copy.mode",
        "Copies between backup storages. Auto: two backup storages in one object store copy inside the store (server-side copy, proven by the store's md5s); otherwise the destination host pulls from the source host over sftp with the source's read-only direct-fetch key, and Stowage streams the bytes when it cannot; HostToHost: only the store or the host copies; Stream: Stowage always streams",
        "Auto", GlobalConfigType.String, ValidValues: ["Auto", "HostToHost", "Stream"]);

    public static readonly GlobalConfigDefinition SkipTlsVerify = new(
        "image", "download.insecureSkipTlsVerify", "Accept any TLS certificate from https image sources (off by default; for lab sources with self-signed certificates)", "false", GlobalConfigType.Bool);

    public static readonly GlobalConfigDefinition UploadTimeout = new(
        "image", "upload.timeout", "Seconds an upload url (AddImage with upload://) stays valid; an upload not finished by then is dropped with its partial file", "86400", GlobalConfigType.Long, NumberGreaterThan: 1);

    public static readonly GlobalConfigDefinition MinimumSize = new(
        "image", "download.minimumSize", "An http(s) source announcing fewer bytes than this is refused as too small for an image (ZStack: 1 MiB); 0 turns the check off",
        "1M", GlobalConfigType.SizeString);

    public static IEnumerable<GlobalConfigDefinition> All =>
        [DeletionPolicy, ExpungePeriod, ExpungeInterval, StallTimeout, DownloadMode, CopyMode, SkipTlsVerify, UploadTimeout, MinimumSize, HostPathDenyList.Config];
}
