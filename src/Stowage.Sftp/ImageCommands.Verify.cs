using System.Globalization;
using System.Text;

namespace Stowage.Sftp;

/// <summary>
/// Verification of a stored image on its host: md5sum and sha256sum run there, side by side, and only the two
/// digests and the size come back over SSH (no image byte crosses the network).
/// </summary>
internal static partial class ImageCommands
{
    public const int ExitVerifyUnreadable = 99;

    /// <summary>
    /// Prints <c>MISSING</c> when the install path holds no regular file, else <c>CHECK &lt;size&gt; &lt;md5&gt; &lt;sha256&gt;</c>
    /// and <c>THROTTLE pv|none</c>. Both tools run under <c>nice</c> and best-effort <c>ionice</c> at the lowest level.
    /// With a rate limit (bytes/s, &gt; 0) and <c>pv</c> on the host, <c>pv -L</c> reads the file at that rate into
    /// sha256sum and, through a fifo at the copy's temporary name (removed by the EXIT trap and by <see cref="Kill"/>),
    /// into md5sum; without pv the limit cannot be held on the host and the script says so (THROTTLE none).
    /// </summary>
    public static string Verify(string installPath, long bytesPerSecond) => new StringBuilder()
        .Append("LC_ALL=C; export LC_ALL; echo \"PID $$\"; ")
        .Append($"f={RemoteCommands.Quote(installPath)}; t={RemoteCommands.Quote(TempPath(installPath))}; ")
        .Append($"r={RemoteCommands.Quote(Math.Max(0, bytesPerSecond).ToString(CultureInfo.InvariantCulture))}; ")
        .Append("if [ ! -f \"$f\" ]; then echo MISSING; exit 0; fi; ")
        .Append($"[ -r \"$f\" ] || exit {ExitVerifyUnreadable}; ")
        .Append($"a=$(stat -L -c %s -- \"$f\") || exit {ExitFileError}; ")
        .Append("l=; if command -v nice >/dev/null 2>&1; then l='nice -n 10'; fi; ")
        .Append("if command -v ionice >/dev/null 2>&1 && ionice -c 2 -n 7 true 2>/dev/null; then l=\"$l ionice -c 2 -n 7\"; fi; ")
        .Append("if [ \"$r\" -gt 0 ] && command -v pv >/dev/null 2>&1; then ")
        .Append("trap 'trap \"\" HUP INT TERM; rm -f -- \"$t\"' EXIT; trap 'exit 143' HUP INT TERM; trap '' PIPE; ")
        .Append($"rm -f -- \"$t\"; mkfifo -m 600 -- \"$t\" || exit {ExitFileError}; ")
        .Append("h=$( { $l md5sum < \"$t\" & $l pv -q -L \"$r\" -- \"$f\" | tee -- \"$t\" | $l sha256sum; wait; } ); w=pv; ")
        .Append("else h=$( { $l md5sum < \"$f\" & $l sha256sum < \"$f\"; wait; } ); w=none; fi; ")
        .Append("m=; s=; for x in $h; do case $x in *[!0-9a-f]*) ;; *) case ${#x} in 32) m=$x;; 64) s=$x;; esac;; esac; done; ")
        .Append($"[ -n \"$m\" ] && [ -n \"$s\" ] || exit {ExitFileError}; ")
        .Append("printf 'THROTTLE %s\\n' \"$w\"; printf 'CHECK %s %s %s\\n' \"$a\" \"$m\" \"$s\"")
        .ToString();
}
