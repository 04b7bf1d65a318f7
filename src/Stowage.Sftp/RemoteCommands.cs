using System.Globalization;
using System.Text;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>
/// Every shell command line the SFTP driver runs on a storage host is built here, and every value that
/// comes from outside (the url, the uuid) goes through <see cref="Quote"/> exactly once, into a shell
/// variable at the top of the script. The script bodies only ever use those variables in double quotes.
/// Scripts are POSIX sh and expect GNU coreutils (<c>df --output</c>) on the host.
/// </summary>
internal static partial class RemoteCommands
{
    /// <summary>Name of the identity marker file inside the backup storage url.</summary>
    public const string MarkerFileName = ".stowage-backup-storage";

    /// <summary>The longest marker content read back; a uuid is 32 characters.</summary>
    public const int MarkerReadLimit = 256;

    // Exit codes of the scripts; anything else is a plain command failure.
    public const int ExitNotDirectory = 90;
    public const int ExitMkdirFailed = 91;
    public const int ExitNotWritable = 92;
    public const int ExitMissingDirectory = 93;
    public const int ExitDfFailed = 94;

    private const string OutputDf = "DF ";
    private const string OutputMarker = "MARKER ";

    /// <summary>POSIX single-quote quoting: the result is one shell word whose value is exactly <paramref name="value"/>.</summary>
    public static string Quote(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        if (value.Contains('\0', StringComparison.Ordinal))
        {
            throw new ArgumentException("a shell argument cannot contain a NUL character", nameof(value));
        }

        return "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
    }

    /// <summary>
    /// Refuses a url that exists and is not a directory, creates it when missing, proves it is writable,
    /// prints the marker (if any) and the capacity.
    /// </summary>
    public static string Connect(string url) => Probe(url, create: true);

    /// <summary>Checks the url exists and is writable, prints the marker (if any) and the capacity.</summary>
    public static string Ping(string url) => Probe(url, create: false);

    /// <summary>Prints the capacity of the filesystem holding the url.</summary>
    public static string Capacity(string url) => new StringBuilder()
        .Append(Prologue(url))
        .Append($"[ -d \"$d\" ] || exit {ExitMissingDirectory}; ")
        .Append(DfLine)
        .ToString();

    /// <summary>Writes the marker atomically: a temporary file in the same directory, then a rename.</summary>
    public static string WriteMarker(string url, string uuid) => new StringBuilder()
        .Append(Prologue(url))
        .Append($"u={Quote(uuid)}; ")
        .Append($"[ -d \"$d\" ] || exit {ExitMissingDirectory}; ")
        .Append("t=\"$m.tmp.$$\"; ")
        .Append($"if printf '%s\\n' \"$u\" > \"$t\" && mv -f -- \"$t\" \"$m\"; then exit 0; else rm -f -- \"$t\"; exit {ExitNotWritable}; fi")
        .ToString();

    /// <summary>Removes the marker only if it holds <paramref name="uuid"/>; a missing directory or marker is fine.</summary>
    public static string RemoveMarker(string url, string uuid) => new StringBuilder()
        .Append(Prologue(url))
        .Append($"u={Quote(uuid)}; ")
        .Append($"if [ -f \"$m\" ] && [ \"$(head -c {MarkerReadLimit} -- \"$m\" | tr -cd '[:graph:]')\" = \"$u\" ]; then rm -f -- \"$m\"; fi")
        .ToString();

    /// <summary>The capacity and marker printed by <see cref="Connect"/>, <see cref="Ping"/> or <see cref="Capacity"/>.</summary>
    public static ProbeOutput ParseProbe(string stdout)
    {
        StorageCapacity? capacity = null;
        string? marker = null;
        foreach (var line in stdout.Split('\n'))
        {
            if (line.StartsWith(OutputDf, StringComparison.Ordinal))
            {
                var parts = line[OutputDf.Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                if (parts.Length == 2
                    && long.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var total)
                    && long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var available))
                {
                    capacity = new StorageCapacity(total, available);
                }
            }
            else if (line.StartsWith(OutputMarker, StringComparison.Ordinal))
            {
                marker = line[OutputMarker.Length..].Trim();
            }
        }

        return new ProbeOutput(capacity, marker);
    }

    private static string Probe(string url, bool create)
    {
        var sb = new StringBuilder().Append(Prologue(url));
        sb.Append($"if [ -e \"$d\" ] && [ ! -d \"$d\" ]; then exit {ExitNotDirectory}; fi; ");
        if (create)
        {
            sb.Append($"mkdir -p -- \"$d\" || exit {ExitMkdirFailed}; ");
        }
        else
        {
            sb.Append($"[ -d \"$d\" ] || exit {ExitMissingDirectory}; ");
        }

        // Prove writability by writing, which also catches read-only mounts and root-squashed NFS.
        // `true` is a regular built-in, so a failed redirection fails it without ending the shell (no subshell fork).
        // The marker is read with the read built-in: a ping forks only rm and df on the host (see docs/performance.md).
        sb.Append("w=\"$d/.stowage-write-test.$$\"; ");
        sb.Append($"if true 2>/dev/null > \"$w\"; then rm -f -- \"$w\"; else exit {ExitNotWritable}; fi; ");
        sb.Append($"if [ -f \"$m\" ]; then x=; IFS= read -r x < \"$m\"; printf '{OutputMarker}%.{MarkerReadLimit}s\\n' \"$x\"; fi; ");
        sb.Append(DfLine);
        return sb.ToString();
    }

    /// <summary>The only place the url enters a script: quoted into <c>$d</c>; <c>$m</c> is the marker path.</summary>
    private static string Prologue(string url) =>
        $"LC_ALL=C; export LC_ALL; d={Quote(url)}; m=\"$d/{MarkerFileName}\"; ";

    // The last two words of df's output are size and avail; splitting with set (globbing off) needs no tail process.
    private static string DfLine =>
        $"o=$(df -B1 --output=size,avail -- \"$d\") || exit {ExitDfFailed}; set -f; set -- $o; shift $(($# - 2)); printf '{OutputDf}%s %s\\n' \"$1\" \"$2\"";
}

/// <summary>What a probe script printed: capacity (null when unparsable) and the marker (null when none).</summary>
internal sealed record ProbeOutput(StorageCapacity? Capacity, string? Marker);
