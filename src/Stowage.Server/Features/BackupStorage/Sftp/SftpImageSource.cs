using Stowage.Server.Features.Images;
using Stowage.Sftp;

namespace Stowage.Server.Features.BackupStorage.Sftp;

/// <summary>
/// <c>sftp://user:password@host[:port]/path</c> image sources, read by Stowage over SFTP and streamed to the
/// storage. An unpinned host key is accepted and logged so it can be pinned next time (system tag <c>sourceHostKey::</c>).
/// </summary>
public sealed partial class SftpImageSource(ILogger<SftpImageSource> logger) : IImageSourceOpener
{
    public string Scheme => "sftp";

    public async Task<OpenedImageSource> OpenAsync(CopyJob job, CancellationToken cancellationToken)
    {
        var file = await SftpSourceFile.OpenAsync(job.Source, job.SourceHostKey, TimeSpan.FromSeconds(30), cancellationToken);
        if (job.SourceHostKey is null)
        {
            LogSourceHostKey(logger, job.ImageUuid, job.Source.Host, file.HostKey);
        }

        return new OpenedImageSource(file.Content, file.Length, file);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "image {Image}: accepted the unpinned host key {HostKey} of SFTP source {Host}; pin it with the system tag sourceHostKey::{HostKey}")]
    private static partial void LogSourceHostKey(ILogger logger, string image, string host, string hostKey);
}
