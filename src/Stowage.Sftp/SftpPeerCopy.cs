using System.Buffers.Binary;
using System.Text;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>The SFTP driver's host-to-host copy from another SFTP backup storage.</summary>
public sealed partial class SftpBackupStorageDriver
{
    public async Task<ImageFileFacts> CopyFromStorageHostAsync(
        BackupStorageTarget target, StoredCopy source, string readKey, string installPath, IProgress<TransferProgress>? progress, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentException.ThrowIfNullOrEmpty(readKey);
        var (peer, peerUrl) = Resolve(source.Storage);
        CheckInstallPath(peerUrl, source.InstallPath);
        if (!ImageCommands.SafeForSftpBatch(source.InstallPath) || !ImageCommands.SafeForSftpBatch(ImageCommands.TempPath(installPath)))
        {
            throw new StorageException(StorageFailure.SourceUnreachable, "the paths hold characters an sftp batch cannot carry");
        }

        // The source's key as Stowage checked it against the pin: the destination host trusts exactly that key.
        SftpConnection connection;
        try
        {
            (connection, _) = await _pool.GetAsync(source.Storage.Uuid, peer, cancellationToken);
        }
        catch (StorageException ex)
        {
            throw Fail(source.Storage, ex);
        }

        var knownHost = KnownHostsLine(connection.HostKeyBlob)
            ?? throw new StorageException(StorageFailure.SourceUnreachable, $"the host key of {peer.Display} is not known in full");
        var script = ImageCommands.CopyFromPeer(peer.Host, peer.Port, peer.Username, source.InstallPath, installPath, source.Expect);
        var lines = await TransferAsync(target, installPath, script, async (input, ct) =>
        {
            var text = knownHost + "\n" + readKey.TrimEnd('\n') + "\n";
            await input.WriteAsync(Encoding.UTF8.GetBytes(text), ct);
            await input.FlushAsync(ct);

            // stdin stays open for the whole pull: its end is the script's signal to stop (ImageCommands.Watchdog).
            await Task.Delay(Timeout.InfiniteTimeSpan, ct);
        }, progress, [readKey], cancellationToken);
        return ImageOutcome.Facts(installPath, lines);
    }

    /// <summary><c>stowage-peer &lt;type&gt; &lt;base64&gt;</c> from the SSH wire form of a public key, whose first field names its type.</summary>
    internal static string? KnownHostsLine(byte[]? blob)
    {
        if (blob is not { Length: > 4 })
        {
            return null;
        }

        var length = BinaryPrimitives.ReadUInt32BigEndian(blob);
        if (length is 0 or > 64 || length > blob.Length - 4)
        {
            return null;
        }

        var type = Encoding.ASCII.GetString(blob, 4, (int)length);
        return type.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '@' or '.')
            ? $"{ImageCommands.PeerAlias} {type} {Convert.ToBase64String(blob)}"
            : null;
    }
}
