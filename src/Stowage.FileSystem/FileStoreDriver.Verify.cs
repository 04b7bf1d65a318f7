using Stowage.Core.Storage;

namespace Stowage.FileSystem;

/// <summary>Verification of a stored copy: the file is read once through the access layer and both digests computed in process.</summary>
public abstract partial class FileStoreDriver
{
    public async Task<StoredFileCheck> VerifyStoredFileAsync(
        BackupStorageTarget target, string installPath, Func<long> bytesPerSecond, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        try
        {
            var access = Access(target);
            var file = PathOf(target, installPath);

            // A directory (or anything but a file) where the image was is as good as a missing file.
            if (await access.StatAsync(file, cancellationToken) is not { IsDirectory: false })
            {
                return StoredFileCheck.NotThere;
            }

            await using var stream = await access.OpenReadAsync(file, 0, cancellationToken);
            return await StreamDigests.ComputeAsync(stream, bytesPerSecond, progress, cancellationToken);
        }
        catch (StorageException e)
        {
            throw Fail(target, e);
        }
    }
}
