using System.Text;
using Stowage.Core.Storage;

namespace Stowage.ObjectStore;

/// <summary>
/// Listing, deleting and the metadata file (sweeper, trash, import). The leftovers of an interrupted segmented
/// write are shown as one file <c>&lt;image file&gt;.stowage-part</c> (the temporary name every type uses), so the
/// sweeper and the trash treat them like a partial file on a disk; deleting that path removes the segments or
/// aborts the multipart upload. A resumable upload is one file <c>&lt;image file&gt;.stowage-upload</c> (its state object
/// plus its segments), the partial-upload name of the filesystem types; deleting it drops the upload.
/// </summary>
public abstract partial class ObjectStoreDriver
{
    private const int MaxMetadata = 32 * 1024 * 1024;

    public async Task<IReadOnlyList<StoredFile>> ListImageFilesAsync(BackupStorageTarget target, CancellationToken cancellationToken)
    {
        var (client, location) = Open(target);
        var files = new List<StoredFile>();
        foreach (var root in IStorageHousekeeping.ImageRoots)
        {
            var prefix = location.Key(root) + "/";
            var objects = await client.ListAsync(prefix, cancellationToken);
            var uploads = objects.Where(o => o.Key.EndsWith(UploadSuffix, StringComparison.Ordinal)).ToDictionary(o => o.Key, StringComparer.Ordinal);
            var leftovers = await client.ListLeftoversAsync(prefix, cancellationToken);

            // The segments of a resumable upload belong to its state object: one file <image file>.stowage-upload, as on a disk.
            var uploadBytes = leftovers.Where(l => uploads.ContainsKey(l.Key + UploadSuffix)).ToDictionary(l => l.Key + UploadSuffix, l => l.Size, StringComparer.Ordinal);
            foreach (var o in objects)
            {
                if (location.Relative(o.Key) is { } rel)
                {
                    files.Add(new StoredFile(rel, o.Size + uploadBytes.GetValueOrDefault(o.Key), o.ModifiedUtc));
                }
            }

            foreach (var l in leftovers.Where(l => !uploads.ContainsKey(l.Key + UploadSuffix)))
            {
                if (location.Relative(l.Key) is { } rel)
                {
                    files.Add(new StoredFile(rel + IStorageHousekeeping.TempSuffix, l.Size, l.ModifiedUtc));
                }
            }
        }

        return files;
    }

    public async Task DeletePathAsync(BackupStorageTarget target, string relativePath, CancellationToken cancellationToken)
    {
        var (client, location) = Open(target);
        if (!IStorageHousekeeping.IsSafeImagePath(relativePath))
        {
            throw Fail(target, new StorageException(StorageFailure.BadLocation, $"path {relativePath} is not inside an image folder of backup storage {target.Url}"));
        }

        if (relativePath.EndsWith(IStorageHousekeeping.TempSuffix, StringComparison.Ordinal))
        {
            await client.RemoveLeftoversAsync(location.Key(relativePath[..^IStorageHousekeeping.TempSuffix.Length]), cancellationToken);
            return;
        }

        if (relativePath.EndsWith(UploadSuffix, StringComparison.Ordinal))
        {
            await DropUploadAsync(client, location.Key(relativePath[..^UploadSuffix.Length]), cancellationToken);
            return;
        }

        // A file, or a folder: every object below it. Object stores have no empty folders to prune.
        var key = location.Key(relativePath);
        if (await client.HeadAsync(key, cancellationToken) is not null)
        {
            await client.DeleteAsync(key, cancellationToken);
            await client.RemoveLeftoversAsync(key, cancellationToken);
        }

        await DeleteUnderAsync(client, key + "/", cancellationToken);
    }

    public async Task<string?> ReadMetadataAsync(BackupStorageTarget target, CancellationToken cancellationToken)
    {
        var (client, location) = Open(target);
        var bytes = await client.GetSmallAsync(location.MetadataKey, MaxMetadata, cancellationToken);
        return bytes is null ? null : Encoding.UTF8.GetString(bytes);
    }

    /// <summary>One PUT replaces the object atomically: readers see the old or the new content, never a mix.</summary>
    public async Task WriteMetadataAsync(BackupStorageTarget target, string content, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(content);
        var (client, location) = Open(target);
        await PutSmallAsync(client, location.MetadataKey, Encoding.UTF8.GetBytes(content), cancellationToken);
    }
}
