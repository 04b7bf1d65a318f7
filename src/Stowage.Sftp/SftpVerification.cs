using System.Globalization;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>Verification of a stored copy by the storage host's own md5sum and sha256sum (<see cref="ImageCommands.Verify"/>).</summary>
public sealed partial class SftpBackupStorageDriver
{
    public async Task<StoredFileCheck> VerifyStoredFileAsync(
        BackupStorageTarget target, string installPath, Func<long> bytesPerSecond, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bytesPerSecond);

        // The host reads the limit once, when the script starts: a changed global config applies from the next copy.
        var script = ImageCommands.Verify(installPath, bytesPerSecond());
        IReadOnlyList<string> lines;
        try
        {
            lines = await TransferAsync(target, installPath, script, static (_, _) => Task.CompletedTask, null, [], cancellationToken);
        }
        catch (StorageException e) when (e.Message.Contains($"exit status {ImageCommands.ExitVerifyUnreadable}", StringComparison.Ordinal))
        {
            throw new StorageException(StorageFailure.CommandFailed, $"{installPath} cannot be read on {Resolve(target).Endpoint.Display}", e);
        }

        if (lines.Contains("MISSING"))
        {
            return StoredFileCheck.NotThere;
        }

        var check = lines.LastOrDefault(l => l.StartsWith("CHECK ", StringComparison.Ordinal))?.Split(' ');
        if (check is not { Length: 4 } || !long.TryParse(check[1], NumberStyles.None, CultureInfo.InvariantCulture, out var size))
        {
            throw new StorageException(StorageFailure.CommandFailed, "the verification script did not report the file's size and checksums");
        }

        var throttle = lines.LastOrDefault(l => l.StartsWith("THROTTLE ", StringComparison.Ordinal))?[9..] ?? "none";
        progress?.Report(new TransferProgress(size));
        return new StoredFileCheck(false, size, check[2], check[3], throttle == "pv" ? "pv -L on the host" : "none (host has no pv, or no limit)");
    }
}
