using System.Globalization;
using System.Text;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>
/// Shell scripts of the image data path. Paths and expectations enter through <see cref="RemoteCommands.Quote"/>;
/// a source url never enters a script or a command line: the script reads it from its standard input and
/// hands it to curl through a config on a pipe (or to wget as a url list), so no process list shows it.
/// Each script prints <c>PID $$</c> first: sshd makes the shell a session and process-group leader, so
/// killing that group stops the shell and every tool it started.
/// </summary>
internal static partial class ImageCommands
{
    /// <summary>Suffix of files being written; the sweeper removes those no transfer owns.</summary>
    public const string PartSuffix = IStorageHousekeeping.TempSuffix;

    public const int ExitNoUrl = 80;
    public const int ExitCurl = 81;
    public const int ExitWget = 82;
    public const int ExitNoTool = 83;
    public const int ExitFileError = 84;
    public const int ExitSizeMismatch = 85;
    public const int ExitChecksumMismatch = 86;
    public const int ExitWriteFailed = 87;
    public const int ExitNoPeerClient = 88;
    public const int ExitPeerUnreachable = 90;
    public const int ExitPeerFailed = 92;
    public const int ExitDeleteFailed = 89;
    public const int ExitMkdirFailed = 91;
    public const int ExitNoSourceFile = 95;
    public const int ExitSourceInStorage = 96;
    public const int ExitSourceUnreadable = 97;
    public const int ExitUploadOffset = 98;

    /// <summary>
    /// Suffix of a partial upload. Unlike <see cref="PartSuffix"/> files it outlives the request that wrote it
    /// (the client resumes later), so its lifetime follows the upload's row, not a running transfer.
    /// </summary>
    public const string UploadSuffix = ".stowage-upload";

    public static string TempPath(string installPath) => installPath + PartSuffix;

    public static string UploadPath(string installPath) => installPath + UploadSuffix;

    /// <summary>
    /// Copies a regular file of the host into the temporary name, then finishes. The source is resolved
    /// (symlinks included) and refused when it lies inside the backup storage directory <paramref name="storageRoot"/>:
    /// other images, partial files and the identity marker are not sources.
    /// </summary>
    public static string CopyHostFile(string hostPath, string storageRoot, string installPath, ImageExpectations expect) => new StringBuilder()
        .Append(Prologue(installPath, expect))
        .Append($"s={RemoteCommands.Quote(hostPath)}; r={RemoteCommands.Quote(storageRoot)}; ")
        .Append($"[ -f \"$s\" ] || exit {ExitNoSourceFile}; ")
        .Append($"p=$(readlink -f -- \"$s\") && q=$(readlink -f -- \"$r\") || exit {ExitNoSourceFile}; ")
        .Append($"case \"$p/\" in \"$q\"/*) exit {ExitSourceInStorage};; esac; ")
        .Append($"cp -- \"$p\" \"$t\" || exit {ExitSourceUnreadable}; ")
        .Append(Finish(null))
        .ToString();

    /// <summary>
    /// Appends stdin to the partial upload at <paramref name="offset"/> (0 starts over) and prints <c>PART &lt;size&gt;</c>,
    /// with the file's inode and modification time before (<c>BEFORE</c>, when resuming) and after (<c>AFTER</c>) the
    /// append, so Stowage can tell the file is the one it left when it continues its digests of the earlier pieces.
    /// Nothing is removed when stdin ends early. Once the file holds <c>expect.Size</c> bytes it is finished
    /// like any other write, and removed if that fails; with <paramref name="finish"/> false it is left for
    /// <see cref="FinishWritten"/> (Stowage hashed the bytes while it sent them).
    /// </summary>
    public static string UploadChunk(string installPath, long offset, ImageExpectations expect, bool finish = true) => !finish
        ? UploadChunkScript(installPath, offset, expect).Append("exit 0").ToString()
        : UploadChunkScript(installPath, offset, expect)
            .Append("[ \"$a\" -lt \"$es\" ] && exit 0; trap 'rm -f -- \"$t\"' EXIT; ")
            .Append(Finish(null))
            .ToString();

    private static StringBuilder UploadChunkScript(string installPath, long offset, ImageExpectations expect) => new StringBuilder()
        .Append("LC_ALL=C; export LC_ALL; echo \"PID $$\"; ")
        .Append($"f={RemoteCommands.Quote(installPath)}; t={RemoteCommands.Quote(UploadPath(installPath))}; o={RemoteCommands.Quote(offset.ToString(CultureInfo.InvariantCulture))}; ")
        .Append($"es={RemoteCommands.Quote(expect.Size?.ToString(CultureInfo.InvariantCulture) ?? "0")}; ")
        .Append($"e5={RemoteCommands.Quote(expect.Md5 ?? string.Empty)}; e2={RemoteCommands.Quote(expect.Sha256 ?? string.Empty)}; ")
        .Append($"d=$(dirname -- \"$f\"); mkdir -p -- \"$d\" || exit {ExitMkdirFailed}; trap 'exit 143' HUP INT TERM; ")
        .Append($"if [ \"$o\" = 0 ]; then : > \"$t\" || exit {ExitWriteFailed}; ")
        .Append($"else a=$(stat -c %s -- \"$t\" 2>/dev/null || echo 0); if [ \"$a\" != \"$o\" ]; then echo \"OFFSET $a\"; exit {ExitUploadOffset}; fi; ")
        .Append("echo \"BEFORE $(stat -c '%i %y' -- \"$t\")\"; fi; ")
        .Append($"cat >> \"$t\" || exit {ExitWriteFailed}; ")
        .Append($"a=$(stat -c %s -- \"$t\") || exit {ExitFileError}; echo \"PART $a\"; echo \"AFTER $(stat -c '%i %y' -- \"$t\")\"; ");

    /// <summary>Prints the bytes of the partial upload (0 when there is none).</summary>
    public static string UploadSize(string installPath) =>
        $"t={RemoteCommands.Quote(UploadPath(installPath))}; stat -c %s -- \"$t\" 2>/dev/null || echo 0";

    /// <summary>
    /// Fetches the url read from stdin with curl (or wget) into the temporary name, then finishes. No redirect is
    /// followed here: Stowage follows them itself and checks every hop, so the host gets the final url.
    /// </summary>
    /// <remarks>
    /// With <paramref name="hashWhileDownloading"/> and a python3 on the host, curl runs under the streaming hasher
    /// (<see cref="HasherProgram"/>) and the file is not read back to hash it; without python3 (or a usable
    /// hashlib) the host downloads, then hashes, as before. The flag exists so tests can force that fallback.
    /// The stall limit is <c>v</c>: <c>w</c> holds the watchdog's pid, which the EXIT trap kills.
    /// </remarks>
    public static string Download(string installPath, bool skipTlsVerify, ImageExpectations expect, long stallSeconds = 0, bool hashWhileDownloading = true)
    {
        const string curl = "curl -q -fsSL --max-redirs 0 --proto =http,https,ftp --proto-redir =http,https $i -o \"$t\" -K -";
        return new StringBuilder()
            .Append(Prologue(installPath, expect))
            .Append($"IFS= read -r u || exit {ExitNoUrl}; ")
            .Append(Watchdog)
            .Append($"k={RemoteCommands.Quote(skipTlsVerify ? "1" : "0")}; ")
            .Append($"v={RemoteCommands.Quote(stallSeconds.ToString(CultureInfo.InvariantCulture))}; ")
            .Append($"y={RemoteCommands.Quote(hashWhileDownloading ? "1" : "0")}; m=; s=; n=; ")
            .Append("if command -v curl >/dev/null 2>&1; then ")
            .Append("if [ \"$k\" = 1 ]; then i=-k; else i=; fi; ")
            .Append("if [ \"$v\" -gt 0 ]; then i=\"$i --speed-limit 1 --speed-time $v\"; fi; ")
            .Append($"r={HasherUnusable}; if [ \"$y\" = 1 ] && command -v python3 >/dev/null 2>&1; then ")
            .Append(HashedCurl(curl))
            .Append("fi; ")
            .Append($"if [ $r -eq {HasherUnusable} ]; then printf 'url = \"%s\"\\n' \"$u\" | {curl}; r=$?; fi; ")
            .Append($"[ $r -eq {HasherFailed} ] && exit {ExitFileError}; ")
            .Append($"[ $r -eq 0 ] || {{ echo \"TOOL curl $r\"; exit {ExitCurl}; }}; ")
            .Append("elif command -v wget >/dev/null 2>&1; then ")
            .Append("if [ \"$k\" = 1 ]; then i=--no-check-certificate; else i=; fi; ")
            .Append("if [ \"$v\" -gt 0 ]; then i=\"$i --read-timeout=$v\"; fi; ")
            .Append("printf '%s\\n' \"$u\" | wget -q --max-redirect=0 $i -O \"$t\" -i -; r=$?; ")
            .Append($"[ $r -eq 0 ] || {{ echo \"TOOL wget $r\"; exit {ExitWget}; }}; ")
            .Append($"else exit {ExitNoTool}; fi; ")
            .Append(Finish(null, streamed: true))
            .ToString();
    }

    /// <summary>Writes stdin to the temporary name, then finishes.</summary>
    public static string WriteStdin(string installPath, ImageExpectations expect) => new StringBuilder()
        .Append(Prologue(installPath, expect))
        .Append($"cat > \"$t\" || exit {ExitWriteFailed}; ")
        .Append(Finish(null))
        .ToString();

    /// <summary>
    /// The first half of a write Stowage hashes itself: stdin goes to the temporary name, which is kept for
    /// <see cref="FinishWritten"/> only when the write succeeded, holds the announced size (when one is known)
    /// and the session is still there to hear <c>PART &lt;size&gt;</c>: stdin also ends when sshd or the
    /// connection dies, and then printing fails (SIGPIPE is ignored) and the EXIT trap removes the file.
    /// Stowage removes the file itself when the second half does not run; the sweeper removes what a dead
    /// server left, as for any temporary file.
    /// </summary>
    public static string WriteStdinKeep(string installPath, ImageExpectations expect) => new StringBuilder()
        .Append(Prologue(installPath, expect))
        .Append($"cat > \"$t\" || exit {ExitWriteFailed}; ")
        .Append($"a=$(stat -c %s -- \"$t\") || exit {ExitFileError}; ")
        .Append($"if [ -n \"$es\" ] && [ \"$a\" != \"$es\" ]; then echo \"SIZE $a\"; exit {ExitSizeMismatch}; fi; ")
        .Append($"echo \"PART $a\" || exit {ExitWriteFailed}; trap - EXIT; exit 0")
        .ToString();

    /// <summary>
    /// The second half: finishes the written file <paramref name="written"/> (the temporary name, or a complete
    /// upload) like any other write, with the digests Stowage computed while it sent the bytes (null: the host
    /// computes them from the file). The file is removed if that fails.
    /// </summary>
    public static string FinishWritten(string installPath, string written, ImageExpectations expect, CopyDigests? digests) => new StringBuilder()
        .Append("LC_ALL=C; export LC_ALL; echo \"PID $$\"; ")
        .Append($"f={RemoteCommands.Quote(installPath)}; t={RemoteCommands.Quote(written)}; ")
        .Append(ExpectationVariables(expect))
        .Append("d=$(dirname -- \"$f\"); ")
        .Append("trap 'trap \"\" HUP INT TERM; rm -f -- \"$t\"; rmdir -- \"$d\" 2>/dev/null' EXIT; trap 'exit 143' HUP INT TERM; trap '' PIPE; ")
        .Append($"[ -f \"$t\" ] || exit {ExitFileError}; ")
        .Append(Finish(digests))
        .ToString();

    /// <summary>Removes the temporary file of a write whose second half did not run, and its folder when empty.</summary>
    public static string RemoveWritten(string installPath, string written) =>
        $"f={RemoteCommands.Quote(installPath)}; t={RemoteCommands.Quote(written)}; rm -f -- \"$t\"; rmdir -- \"$(dirname -- \"$f\")\" 2>/dev/null; exit 0";

    /// <summary>Removes the image folder (the parent of the install path), read-only files included.</summary>
    public static string DeleteImage(string installPath) => new StringBuilder()
        .Append($"LC_ALL=C; export LC_ALL; f={RemoteCommands.Quote(installPath)}; d=$(dirname -- \"$f\"); ")
        .Append("if [ -e \"$d\" ]; then chmod -R u+w -- \"$d\" 2>/dev/null; ")
        .Append($"rm -rf -- \"$d\" || exit {ExitDeleteFailed}; fi; ")
        // The account folder left empty by its last image goes too (only an acct-* folder, never an image root).
        .Append("a=$(dirname -- \"$d\"); case \"${a##*/}\" in acct-*) rmdir -- \"$a\" 2>/dev/null;; esac; exit 0")
        .ToString();

    /// <summary>Moves a finished image file into another image folder and removes the folder it leaves (and an emptied acct-* folder).</summary>
    public static string MoveImage(string from, string to) => new StringBuilder()
        .Append($"LC_ALL=C; export LC_ALL; s={RemoteCommands.Quote(from)}; f={RemoteCommands.Quote(to)}; d=$(dirname -- \"$s\"); ")
        .Append($"mkdir -p -- \"$(dirname -- \"$f\")\" || exit {ExitMkdirFailed}; mv -f -- \"$s\" \"$f\" || exit {ExitFileError}; ")
        .Append("rmdir -- \"$d\" 2>/dev/null; a=$(dirname -- \"$d\"); case \"${a##*/}\" in acct-*) rmdir -- \"$a\" 2>/dev/null;; esac; exit 0")
        .ToString();

    /// <summary>Stops a transfer's process group (TERM, then KILL) and removes its temporary file (and key directory, <see cref="CopyFromPeer"/>).</summary>
    public static string Kill(int pid, string installPath) => new StringBuilder()
        .Append($"p={RemoteCommands.Quote(pid.ToString(CultureInfo.InvariantCulture))}; t={RemoteCommands.Quote(TempPath(installPath))}; ")
        .Append("kill -TERM \"-$p\" 2>/dev/null; n=0; ")
        .Append("while kill -0 \"-$p\" 2>/dev/null && [ $n -lt 20 ]; do sleep 0.1; n=$((n+1)); done; ")
        .Append($"kill -KILL \"-$p\" 2>/dev/null; rm -f -- \"$t\"; rm -rf -- \"{PeerKeyDir("$p")}\"; rmdir -- \"$(dirname -- \"$t\")\" 2>/dev/null; exit 0")
        .ToString();

    /// <summary>Prints the bytes written so far to the temporary file (0 when it does not exist yet).</summary>
    public static string PartSize(string installPath) =>
        $"t={RemoteCommands.Quote(TempPath(installPath))}; stat -c %s -- \"$t\" 2>/dev/null || echo 0";

    /// <summary>
    /// Stowage keeps the script's stdin open for as long as it waits for the pull. When stdin closes (the SSH
    /// session died with sshd, or the connection broke), the watchdog stops the whole process group, so a
    /// download never runs on, orphaned, on the host; the EXIT trap still removes the temporary file.
    /// A background job of a non-interactive shell reads /dev/null unless told otherwise, hence fd 3.
    /// </summary>
    private static string Watchdog => WatchdogAnd(string.Empty);

    /// <summary><see cref="Watchdog"/> whose EXIT trap also runs <paramref name="cleanup"/> (no single quotes).</summary>
    private static string WatchdogAnd(string cleanup) =>
        "exec 3<&0; ( cat >/dev/null; kill -TERM \"-$$\" ) <&3 >/dev/null 2>&1 & w=$!; exec 3<&-; " +
        $"trap 'trap \"\" HUP INT TERM; kill \"$w\" 2>/dev/null; {cleanup}rm -f -- \"$t\"; rmdir -- \"$d\" 2>/dev/null' EXIT; ";

    // The EXIT trap first ignores HUP/INT/TERM: a kill arriving while it runs (the server stops a failed
    // transfer as the script ends by itself) would otherwise end the shell between rm and rmdir.
    // SIGPIPE is ignored: when the session is gone, a line printed to it fails instead of killing the shell
    // before its EXIT trap removes the temporary file.
    private static string Prologue(string installPath, ImageExpectations expect) => new StringBuilder()
        .Append("LC_ALL=C; export LC_ALL; echo \"PID $$\"; ")
        .Append($"f={RemoteCommands.Quote(installPath)}; t={RemoteCommands.Quote(TempPath(installPath))}; ")
        .Append(ExpectationVariables(expect))
        .Append($"d=$(dirname -- \"$f\"); mkdir -p -- \"$d\" || exit {ExitMkdirFailed}; ")
        .Append("trap 'trap \"\" HUP INT TERM; rm -f -- \"$t\"; rmdir -- \"$d\" 2>/dev/null' EXIT; trap 'exit 143' HUP INT TERM; trap '' PIPE; ")
        .ToString();

    private static string KnownDigests(CopyDigests known) =>
        $"m={RemoteCommands.Quote(known.Md5)}; s={RemoteCommands.Quote(known.Sha256)}; " +
        $"[ \"$a\" = {RemoteCommands.Quote(known.Bytes.ToString(CultureInfo.InvariantCulture))} ] || {{ echo \"SIZE $a\"; exit {ExitSizeMismatch}; }}; ";

    /// <summary>
    /// md5 and sha256 of the temporary file, computed at the same time (two cores read the page cache once
    /// each instead of one after the other); openssl's sha256 uses the CPU's SHA instructions where coreutils
    /// may not. Both read stdin, so their output holds nothing but the digest and a dash.
    /// </summary>
    private static string Digests => new StringBuilder()
        .Append("h=$( { md5sum < \"$t\" & if command -v openssl >/dev/null 2>&1; then openssl dgst -sha256 -r < \"$t\"; else sha256sum < \"$t\"; fi; wait; } ); ")
        .Append("m=; s=; for w in $h; do case $w in *[!0-9a-f]*) ;; *) case ${#w} in 32) m=$w;; 64) s=$w;; esac;; esac; done; ")
        .Append($"[ -n \"$m\" ] && [ -n \"$s\" ] || exit {ExitFileError}; ")
        .ToString();

    private static string ExpectationVariables(ImageExpectations expect) =>
        $"es={RemoteCommands.Quote(expect.Size?.ToString(CultureInfo.InvariantCulture) ?? string.Empty)}; " +
        $"e5={RemoteCommands.Quote(expect.Md5 ?? string.Empty)}; e2={RemoteCommands.Quote(expect.Sha256 ?? string.Empty)}; ";

    /// <summary>
    /// Flush, verify size and checksums, read the format, rename into place, make read-only, print facts. The
    /// digests are <paramref name="known"/> ones (Stowage computed them from the bytes it sent, and the size check
    /// proves the file holds that many) or, when null, computed here from the file.
    /// </summary>
    private static string Finish(CopyDigests? known, bool streamed = false) => new StringBuilder()
        .Append("sync -- \"$t\" 2>/dev/null || sync; ")
        .Append($"a=$(stat -c %s -- \"$t\") || exit {ExitFileError}; ")
        .Append($"if [ -n \"$es\" ] && [ \"$a\" != \"$es\" ]; then echo \"SIZE $a\"; exit {ExitSizeMismatch}; fi; ")
        .Append(known is not null ? KnownDigests(known)
            // The hasher's digests hold for the bytes it read; the file must hold exactly those.
            : streamed ? $"if [ -n \"$m\" ]; then [ \"$a\" = \"$n\" ] || exit {ExitFileError}; else {Digests}fi; "
            : Digests)
        .Append($"if [ -n \"$e5\" ] && [ \"$m\" != \"$e5\" ]; then echo \"MD5 $m\"; exit {ExitChecksumMismatch}; fi; ")
        .Append($"if [ -n \"$e2\" ] && [ \"$s\" != \"$e2\" ]; then echo \"SHA256 $s\"; exit {ExitChecksumMismatch}; fi; ")
        .Append("if command -v qemu-img >/dev/null 2>&1; then printf 'QEMU %s\\n' \"$(qemu-img info --output=json -- \"$t\" 2>/dev/null | tr -d '\\n')\"; fi; ")
        .Append("printf 'MAGIC %s\\n' \"$(od -An -tx1 -N4 -- \"$t\" | tr -d ' \\n')\"; ")
        .Append("printf 'ISO %s\\n' \"$(od -An -c -j32769 -N5 -- \"$t\" | tr -d ' \\n')\"; ")
        .Append($"mv -f -- \"$t\" \"$f\" || exit {ExitFileError}; chmod a-w -- \"$f\"; ")
        .Append("printf 'FACTS %s %s %s\\n' \"$a\" \"$m\" \"$s\"")
        .ToString();
}
