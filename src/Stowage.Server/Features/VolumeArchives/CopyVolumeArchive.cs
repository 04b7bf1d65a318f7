using Microsoft.EntityFrameworkCore;
using Stowage.Core.Storage;
using Stowage.Persistence;
using Stowage.Server.Features.Images;
using Stowage.Server.Protocol;
using Stowage.Server.Storage;

namespace Stowage.Server.Features.VolumeArchives;

/// <summary>
/// CopyVolumeSnapshotToBackupStorage and CopyVolumeBackupToBackupStorage: one more copy of a Ready volume snapshot
/// or backup on another backup storage, as CopyImageToBackupStorage (<see cref="BackupStorageCopy"/>), under the
/// kind's folder at the destination (<see cref="VolumeArchiveKind.InstallPath"/>).
/// </summary>
public static class CopyVolumeArchive
{
    public static ApiDescriptor Api(VolumeArchiveKind kind) => BackupStorageCopy.Define(
        $"Copy{kind.ApiNoun}ToBackupStorage", kind.Path + "/{uuid}/actions", $"copy{kind.ApiNoun}ToBackupStorage", kind.InventoryClass,
        $"Copy a Ready {kind.Noun} to another backup storage (host to host or streamed, as CopyImageToBackupStorage); verified by checksum at the destination",
        kind.UuidParam(), Copyable(kind));

    private static CopyableKind Copyable(VolumeArchiveKind kind) => new(
        CopyTable.VolumeArchive,
        kind.Noun,
        async (db, uuid, ct) =>
        {
            var row = await db.VolumeArchives.AsNoTracking().FirstOrDefaultAsync(a => a.Uuid == uuid && a.Kind == kind.Kind, ct);
            if (row is null)
            {
                return null;
            }

            var copies = await db.VolumeArchiveRefs.AsNoTracking().Where(r => r.ArchiveUuid == uuid)
                .Select(r => new StoredItemCopy(r.BackupStorageUuid, r.Status, r.InstallPath)).ToListAsync(ct);
            return new StoredItem(uuid, row.Name, row.Status, new ImageExpectations(row.ActualSize, row.Md5Sum, row.Sha256Sum), copies,
                (bsUrl, _) => kind.InstallPath(bsUrl, row.OwnerAccountUuid, uuid));
        },
        async (_, db, uuid, _) => (await VolumeArchiveInventory.LoadAsync(db, kind, [uuid], CancellationToken.None)).Single().Reply());
}
