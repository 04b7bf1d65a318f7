using Microsoft.EntityFrameworkCore;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Server.Features.Images;
using Stowage.Sftp;

namespace Stowage.Server.Features.BackupStorage.Sftp;

/// <summary>
/// <c>sftp://user:password@host[:port]/path</c> image sources, read by Stowage over SFTP and streamed to the
/// storage. An unpinned host key is accepted and logged so it can be pinned next time (system tag <c>sourceHostKey::</c>).
/// A source on the host of an SFTP backup storage (same host key) is held to the <c>file:///</c> rule
/// (<see cref="SourceRules.DeniedHostPath"/>): nothing inside that storage's directory, compared as the source
/// server resolves the paths (symlinks followed).
/// </summary>
public sealed partial class SftpImageSource(StowageDbContextFactory dbFactory, ILogger<SftpImageSource> logger) : IImageSourceOpener
{
    public string Scheme => "sftp";

    public async Task<OpenedImageSource> OpenAsync(CopyJob job, CancellationToken cancellationToken)
    {
        var file = await SftpSourceFile.OpenAsync(job.Source, job.SourceHostKey, TimeSpan.FromSeconds(30), cancellationToken);
        try
        {
            if (job.SourceHostKey is null)
            {
                LogSourceHostKey(logger, job.ImageUuid, job.Source.Host, file.HostKey);
            }

            await RefuseStorageDirectoryAsync(file, job, cancellationToken);
            return new OpenedImageSource(file.Content, file.Length, file);
        }
        catch
        {
            await file.DisposeAsync();
            throw;
        }
    }

    private async Task RefuseStorageDirectoryAsync(SftpSourceFile file, CopyJob job, CancellationToken ct)
    {
        List<(string Uuid, string Url, string? HostKey)> storages;
        await using (var db = dbFactory.CreateDbContext())
        {
            storages = [.. (await db.SftpBackupStorages.AsNoTracking().Where(s => s.HostKeyFingerprint != null)
                .Join(db.BackupStorages.AsNoTracking(), s => s.Uuid, b => b.Uuid, (s, b) => new { b.Uuid, b.Url, s.HostKeyFingerprint })
                .ToListAsync(ct)).Select(x => (x.Uuid, x.Url, x.HostKeyFingerprint))];
        }

        var path = ImageRules.HostPath(job.Source);
        string? resolved = null;
        foreach (var bs in storages.Where(s => HostKeys.Same(s.HostKey!, file.HostKey)))
        {
            resolved ??= await file.CanonicalPathAsync(path, ct) ?? path;
            string?[] dirs = [bs.Url, await file.CanonicalPathAsync(bs.Url, ct)];
            if ((SourceRules.DeniedHostPath(path, dirs) ?? SourceRules.DeniedHostPath(resolved, dirs)) is { } why)
            {
                throw new StorageException(StorageFailure.SourceFailed, $"the sftp source {why} of backup storage[uuid:{bs.Uuid}] on the same host; copy images between backup storages instead");
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "image {Image}: accepted the unpinned host key {HostKey} of SFTP source {Host}; pin it with the system tag sourceHostKey::{HostKey}")]
    private static partial void LogSourceHostKey(ILogger logger, string image, string host, string hostKey);
}
