using System.Globalization;
using System.Text.Json;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>Reads what a transfer script printed and turns its exit status into facts or a failure.</summary>
internal static class ImageOutcome
{
    public static ImageFileFacts Facts(string installPath, IReadOnlyList<string> lines)
    {
        var facts = Value(lines, "FACTS ")?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (facts is not { Length: 3 } || !long.TryParse(facts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var actual))
        {
            throw new StorageException(StorageFailure.CommandFailed, "the transfer script did not report the file's size and checksums");
        }

        string? qemuFormat = null;
        long? virtualSize = null;
        if (Value(lines, "QEMU ") is { Length: > 0 } json)
        {
            try
            {
                using var doc = JsonDocument.Parse(json);
                qemuFormat = doc.RootElement.TryGetProperty("format", out var f) ? f.GetString() : null;
                virtualSize = doc.RootElement.TryGetProperty("virtual-size", out var v) && v.TryGetInt64(out var n) ? n : null;
            }
            catch (JsonException)
            {
                // Fall back to header detection below.
            }
        }

        var magic = Value(lines, "MAGIC ") ?? string.Empty;
        var format = Value(lines, "ISO ") == "CD001" ? "iso"
            : qemuFormat ?? (magic == "514649fb" ? "qcow2" : "raw");
        return new ImageFileFacts(installPath, actual, virtualSize ?? actual, format, facts[1], facts[2]);
    }

    /// <summary>The failure a non-zero exit status stands for; texts never include the source url.</summary>
    public static StorageException Failure(int? exit, IReadOnlyList<string> lines, string stderr, string where)
    {
        var detail = stderr.Length == 0 ? string.Empty : $": {stderr}";
        var noSpace = stderr.Contains("No space left", StringComparison.OrdinalIgnoreCase);
        if (noSpace)
        {
            return new StorageException(StorageFailure.NoSpace, $"no space left on {where}");
        }

        return exit switch
        {
            ImageCommands.ExitCurl or ImageCommands.ExitWget => ToolFailure(Value(lines, "TOOL ") ?? string.Empty, detail, where),
            ImageCommands.ExitNoTool => new StorageException(StorageFailure.SourceUnreachable, $"{where} has neither curl nor wget"),
            ImageCommands.ExitNoPeerClient => new StorageException(StorageFailure.SourceUnreachable, $"{where} has no sftp client to pull from the other backup storage"),
            ImageCommands.ExitPeerUnreachable => new StorageException(StorageFailure.SourceUnreachable, $"{where} cannot fetch from the other backup storage's host: {Value(lines, "PEER ")}"),
            ImageCommands.ExitPeerFailed => new StorageException(StorageFailure.SourceFailed, $"the copy from the other backup storage's host to {where} broke off: {Value(lines, "PEER ")}"),
            ImageCommands.ExitSizeMismatch => new StorageException(StorageFailure.SourceFailed, $"the downloaded file has {Value(lines, "SIZE ")} bytes, not the size the source announced"),
            ImageCommands.ExitChecksumMismatch => new StorageException(StorageFailure.SourceFailed,
                Value(lines, "MD5 ") is { } md5 ? $"md5 checksum mismatch: the file has {md5}" : $"sha256 checksum mismatch: the file has {Value(lines, "SHA256 ")}"),
            ImageCommands.ExitMkdirFailed => new StorageException(StorageFailure.BadLocation, $"cannot create the image folder on {where}{detail}"),
            ImageCommands.ExitNoSourceFile => new StorageException(StorageFailure.SourceFailed, $"the source file does not exist or is not a regular file on {where}"),
            ImageCommands.ExitSourceInStorage => new StorageException(StorageFailure.SourceFailed, $"the source file lies inside the backup storage directory on {where}"),
            ImageCommands.ExitSourceUnreadable => new StorageException(StorageFailure.SourceFailed, $"cannot read the source file on {where}{detail}"),
            ImageCommands.ExitUploadOffset => new StorageException(StorageFailure.SourceFailed, $"the partial upload on {where} holds {Value(lines, "OFFSET ")} bytes, not the offset of this piece"),
            ImageCommands.ExitWriteFailed => new StorageException(StorageFailure.CommandFailed, $"writing the image on {where} failed{detail}"),
            null => new StorageException(StorageFailure.CommandFailed, $"the transfer on {where} was killed{detail}"),
            _ => new StorageException(StorageFailure.CommandFailed, $"the transfer on {where} failed with exit status {exit}{detail}"),
        };
    }

    private static StorageException ToolFailure(string tool, string detail, string where)
    {
        var parts = tool.Split(' ');
        var name = parts[0];
        var code = parts.Length > 1 && int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var c) ? c : -1;
        var (failure, reason) = (name, code) switch
        {
            ("curl", 6) or ("curl", 7) or ("wget", 4) => (StorageFailure.SourceUnreachable, "cannot reach the source"),
            // The host follows no redirect (Stowage checks each hop); in download mode Auto Stowage then streams it.
            ("curl", 47) => (StorageFailure.SourceUnreachable, "the source redirected the download, which the host does not follow"),
            ("curl", 22) or ("wget", 8) => (StorageFailure.SourceFailed, "the source answered with an HTTP error"),
            ("curl", 18) or ("curl", 56) => (StorageFailure.SourceFailed, "the source broke off the transfer"),
            ("curl", 23) or ("wget", 3) => (StorageFailure.NoSpace, "no space left (disk full): cannot write the file"),
            ("curl", 28) => (StorageFailure.SourceFailed, "the source timed out or sent no data for image/download.stallTimeout seconds"),
            ("curl", 35) or ("curl", 60) or ("wget", 5) => (StorageFailure.SourceFailed, "TLS handshake or certificate verification failed"),
            _ => (StorageFailure.SourceFailed, "the download failed"),
        };
        return new StorageException(failure, $"{name} on {where}: {reason} (exit {code}){detail}");
    }

    private static string? Value(IReadOnlyList<string> lines, string prefix) =>
        lines.LastOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal)) is { } line ? line[prefix.Length..].Trim() : null;
}
