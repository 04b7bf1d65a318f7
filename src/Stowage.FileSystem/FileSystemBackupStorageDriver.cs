using Microsoft.Extensions.Logging;
using Stowage.Core.Storage;

namespace Stowage.FileSystem;

/// <summary>
/// Backup storage on a directory the Stowage server sees: a local disk for a single server, or a shared mount
/// (NFS mounted by the admin, CephFS, GlusterFS) that every server of a cluster sees at the same path; the
/// identity marker proves it is the same directory on each. The url is the absolute path.
/// A missing url is created on connect (with its parents, like the SFTP type's mkdir -p) except under a mount
/// point declared in /etc/fstab that is not mounted now: that is a shared filesystem missing on this server,
/// and creating the directory on the disk underneath would write elsewhere. A reconnect or ping of a known
/// backup storage never creates anything: without our marker it reports the reason instead.
/// Format and virtual size come from <c>qemu-img info</c> run locally when it is installed, else from the header.
/// Register as a singleton <see cref="IBackupStorageDriver"/>.
/// </summary>
public sealed class FileSystemBackupStorageDriver(ILogger<FileSystemBackupStorageDriver>? logger = null) : FileStoreDriver(logger)
{
    public const string TypeName = "FileSystemBackupStorage";

    private static readonly string[] RefusedRoots = ["/dev", "/proc", "/sys"];

    // Stateless (System.IO): one for every backup storage of the type.
    private static readonly LocalFileAccess LocalAccess = new();

    public override string Type => TypeName;

    /// <summary>The core's, plus <c>file:///</c> sources: a file on the Stowage server itself (<see cref="CopyFromHostFileAsync"/>).</summary>
    public override StorageCapabilities Capabilities { get; } = new(ReadsFiles: true, WritesFiles: true, HostPullsFromUrl: false, ExportsOverHttp: true, ResumableUpload: true, CopiesHostFiles: true, VerifiesStoredFiles: true);

    /// <summary>
    /// Directories a <c>file:///</c> source may not come from (ZStack's default <c>download.localPath.blacklist</c>
    /// plus /boot and /run). The server adds its data directory (database, keys, cluster secret). Dot and tilde
    /// folders are refused wherever they are. Checked on the path as given and on its real path.
    /// </summary>
    public IReadOnlyList<string> DeniedSourceRoots { get; set; } = ["/etc", "/dev", "/proc", "/sys", "/var/log", "/boot", "/run"];

    /// <summary>Mount points declared and mounted; replaced by tests.</summary>
    internal Func<MountTable> Mounts { get; set; } = () => MountTable.Read();

    /// <summary>Whether format detection runs qemu-img (when installed); tests turn it off to check the header path.</summary>
    internal bool UseQemuImg { get; set; } = true;

    /// <summary>Checks a url the way every operation does; the reason, or null when it is usable.</summary>
    public static string? CheckUrl(string? url)
    {
        if (string.IsNullOrEmpty(url) || url[0] != '/')
        {
            return "the url of a FileSystem backup storage must be an absolute path on the Stowage server";
        }

        var trimmed = url.TrimEnd('/');
        if (trimmed.Length == 0)
        {
            return "the url cannot be the root directory /";
        }

        if (url.Contains('\0', StringComparison.Ordinal) || url.Split('/').Any(s => s is "." or ".."))
        {
            return "the url cannot hold . or .. segments or a NUL character";
        }

        return RefusedRoots.Any(r => trimmed == r || trimmed.StartsWith(r + "/", StringComparison.Ordinal))
            ? "the url cannot be under /dev, /proc or /sys" : null;
    }

    /// <summary>
    /// Copies a regular file of the Stowage server into the image. The source is resolved (symbolic links
    /// included) and refused when it lies inside the backup storage directory: other images, partial files and
    /// the identity marker are not sources. The server applies the local-path deny list before calling.
    /// </summary>
    public override async Task<ImageFileFacts> CopyFromHostFileAsync(BackupStorageTarget target, string hostPath, string installPath, ImageExpectations expect, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hostPath);
        ArgumentNullException.ThrowIfNull(expect);
        Stream source;
        try
        {
            if (!hostPath.StartsWith('/') || hostPath.Split('/').Any(s => s is "." or ".."))
            {
                throw new StorageException(StorageFailure.SourceFailed, $"source path {hostPath} must be absolute, without . or .. segments");
            }

            var real = LocalNative.RealPath(hostPath);
            var root = LocalNative.RealPath(Root(target));
            if ((Denied(hostPath) ?? (real is null ? null : Denied(real))) is { } rule)
            {
                throw new StorageException(StorageFailure.SourceFailed, $"source path {hostPath} is refused: {rule}");
            }

            if (real is null || !File.Exists(real) || Directory.Exists(real))
            {
                throw new StorageException(StorageFailure.SourceFailed, $"the source file does not exist or is not a regular file on {Where(target)}");
            }

            if (root is not null && (real + "/").StartsWith(root.TrimEnd('/') + "/", StringComparison.Ordinal))
            {
                throw new StorageException(StorageFailure.SourceFailed, $"the source file lies inside the backup storage directory {Where(target)}");
            }

            try
            {
                source = await LocalAccess.OpenReadAsync(real, 0, cancellationToken);
            }
            catch (StorageException e)
            {
                throw new StorageException(StorageFailure.SourceFailed, $"cannot read the source file on {Where(target)}: {e.Message}", e);
            }
        }
        catch (StorageException e)
        {
            throw Fail(target, e);
        }

        await using (source)
        {
            return await WriteFromStreamAsync(target, source, installPath, expect with { Size = expect.Size ?? source.Length }, progress, cancellationToken);
        }
    }

    protected override IFileAccess Access(BackupStorageTarget target) => LocalAccess;

    /// <summary>Why a source path is refused, or null.</summary>
    private string? Denied(string path)
    {
        if (path.Split('/').Any(s => s.Length > 0 && (s[0] == '.' || s[0] == '~')))
        {
            return "files in dot or tilde folders (or dot files) are not image sources";
        }

        var hit = DeniedSourceRoots.Select(r => r.TrimEnd('/')).FirstOrDefault(r => path == r || path.StartsWith(r + "/", StringComparison.Ordinal));
        return hit is null ? null : $"files under {hit} are not image sources";
    }

    protected override string Root(BackupStorageTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return CheckUrl(target.Url) is { } reason
            ? throw new StorageException(StorageFailure.BadLocation, $"{reason} (url {target.Url} of backup storage {target.Uuid})")
            : target.Url.TrimEnd('/');
    }

    protected override string Where(BackupStorageTarget target) => $"{target.Url} on server {Environment.MachineName}";

    protected override Task CheckCreatableAsync(BackupStorageTarget target, string root, CancellationToken cancellationToken)
    {
        if (Mounts().UnmountedAbove(root) is { } point)
        {
            throw new StorageException(StorageFailure.BadLocation,
                $"directory {Where(target)} does not exist and {point} is a mount point in /etc/fstab that is not mounted: mount it first (Stowage does not create the directory on the disk underneath)");
        }

        return Task.CompletedTask;
    }

    protected override async Task<FormatFacts> ProbeFormatAsync(BackupStorageTarget target, IFileAccess access, string path, CancellationToken cancellationToken)
    {
        var header = await base.ProbeFormatAsync(target, access, path, cancellationToken);
        if (header.Format == "iso" || !UseQemuImg || !QemuImg.Available)
        {
            return header;
        }

        try
        {
            return await QemuImg.InfoAsync(path, cancellationToken);
        }
        catch (Exception e) when (e is InvalidOperationException or System.Text.Json.JsonException or System.ComponentModel.Win32Exception or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            Log.QemuImgFailed(Logger, path, e.Message);
            return header;
        }
    }
}
