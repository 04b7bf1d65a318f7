using System.Text;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>Commands of the sweeper, the trash and the image metadata file (same quoting rules as the rest).</summary>
internal static partial class RemoteCommands
{
    /// <summary>ZStack's image metadata index in the backup storage url: one image inventory (JSON) per line.</summary>
    public const string MetadataFileName = "bs_sftp_info.json";

    public const int ExitNotWritable = 92;
    public const int ExitMissingDirectory = 93;
    public const int ExitOutsideUrl = 95;
    public const int ExitDeletePathFailed = 89;

    private const string OutputNone = "NONE";
    private const string OutputFile = "FILE";

    /// <summary>
    /// Prints <c>size mtime path\0</c> for every regular file under the image folders that exist (not through
    /// a symlinked image folder), paths relative to the url. NUL-separated: any file name is read back intact.
    /// </summary>
    public static string ListImageFiles(string url)
    {
        var roots = string.Join(' ', IStorageHousekeeping.ImageRoots.Select(Quote));
        return new StringBuilder()
            .Append(Prologue(url))
            .Append($"cd \"$d\" || exit {ExitMissingDirectory}; set --; ")
            .Append($"for r in {roots}; do if [ -d \"$r\" ] && [ ! -L \"$r\" ]; then set -- \"$@\" \"$r\"; fi; done; ")
            .Append("[ $# -gt 0 ] || exit 0; ")
            .Append("find \"$@\" -type f -printf '%s %T@ %p\\0'")
            .ToString();
    }

    /// <summary>
    /// Removes <paramref name="relativePath"/> under the url (already checked by <see cref="IStorageHousekeeping.IsSafeImagePath"/>),
    /// refusing it when its folder resolves outside the url (a symlinked folder), then removes the folders
    /// left empty above it, stopping at the image folder.
    /// </summary>
    public static string DeletePath(string url, string relativePath) => new StringBuilder()
        .Append(Prologue(url))
        .Append($"p={Quote(relativePath)}; cd \"$d\" || exit {ExitMissingDirectory}; ")
        .Append("if [ ! -e \"$p\" ] && [ ! -L \"$p\" ]; then exit 0; fi; ")
        .Append($"rd=$(pwd -P) || exit {ExitOutsideUrl}; rp=$(readlink -f -- \"$(dirname -- \"$p\")\") || exit {ExitOutsideUrl}; ")
        .Append($"case \"$rp/\" in \"$rd\"/*/) ;; *) exit {ExitOutsideUrl};; esac; ")
        .Append("[ -L \"$p\" ] || chmod -R u+w -- \"$p\" 2>/dev/null; ")
        .Append($"rm -rf -- \"$p\" || exit {ExitDeletePathFailed}; ")
        .Append("q=$(dirname -- \"$p\"); while [ \"${q#*/}\" != \"$q\" ]; do rmdir -- \"$q\" 2>/dev/null || break; q=$(dirname -- \"$q\"); done; exit 0")
        .ToString();

    /// <summary>Prints <c>NONE</c>, or <c>FILE</c> and then the metadata file's content.</summary>
    public static string ReadMetadata(string url) => new StringBuilder()
        .Append(Prologue(url))
        .Append($"f=\"$d/{MetadataFileName}\"; ")
        .Append($"if [ ! -f \"$f\" ]; then echo {OutputNone}; exit 0; fi; echo {OutputFile}; cat -- \"$f\"")
        .ToString();

    /// <summary>
    /// Replaces the metadata file with standard input: a temporary file in the same directory, then a rename.
    /// <paramref name="empty"/> content reads no input and leaves a missing file missing.
    /// </summary>
    public static string WriteMetadata(string url, bool empty) => new StringBuilder()
        .Append(Prologue(url))
        .Append($"[ -d \"$d\" ] || exit {ExitMissingDirectory}; f=\"$d/{MetadataFileName}\"; t=\"$f.tmp.$$\"; ")
        .Append(empty ? "[ -f \"$f\" ] || exit 0; w() { : > \"$t\"; }; " : "w() { cat > \"$t\"; }; ")
        .Append($"if w && mv -f -- \"$t\" \"$f\"; then exit 0; else rm -f -- \"$t\"; exit {ExitNotWritable}; fi")
        .ToString();

    /// <summary>The metadata file's content as printed by <see cref="ReadMetadata"/>, or null when there is none.</summary>
    public static string? ParseMetadata(string stdout)
    {
        if (stdout.StartsWith(OutputFile + "\n", StringComparison.Ordinal))
        {
            return stdout[(OutputFile.Length + 1)..];
        }

        return stdout.StartsWith(OutputNone, StringComparison.Ordinal) ? null
            : throw new StorageException(StorageFailure.CommandFailed, "unexpected output while reading the image metadata file");
    }

    /// <summary>The only place the url enters a housekeeping script: quoted into <c>$d</c>; <c>$m</c> is the marker path.</summary>
    private static string Prologue(string url) =>
        $"LC_ALL=C; export LC_ALL; d={Quote(url)}; m=\"$d/{MarkerFileName}\"; ";
}
