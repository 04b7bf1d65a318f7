using System.Globalization;
using System.Text;
using Stowage.Core.Storage;

namespace Stowage.Sftp;

/// <summary>
/// The host-to-host copy between two backup storages: this host pulls a file from the other storage host
/// with OpenSSH's <c>sftp</c>, logged in with that storage's read-only direct-fetch key.
/// </summary>
internal static partial class ImageCommands
{
    /// <summary>The name the source host's key is pinned under in the temporary known_hosts (see <c>HostKeyAlias</c>).</summary>
    public const string PeerAlias = "stowage-peer";

    /// <summary>
    /// Reads a known_hosts line (the source host's pinned key under <see cref="PeerAlias"/>) and then the
    /// private key from stdin into a fresh directory (0700, the key 0600, <see cref="PeerKeyDir"/>) that is
    /// removed as soon as sftp ends, and by the EXIT trap and <see cref="Kill"/> otherwise, so neither reaches
    /// a command line or outlives the script. <c>sftp</c> only trusts that one host key
    /// (StrictHostKeyChecking, no global known_hosts, no agent, no other identity). When the pull fails before
    /// any byte arrived it exits <see cref="ExitPeerUnreachable"/>, so Stowage may stream instead; a pull that
    /// broke off exits <see cref="ExitPeerFailed"/>. Everything then goes through the common checks and rename.
    /// </summary>
    public static string CopyFromPeer(string host, int port, string user, string sourcePath, string installPath, ImageExpectations expect) => new StringBuilder()
        .Append(Prologue(installPath, expect))
        .Append($"h={RemoteCommands.Quote(host)}; o={RemoteCommands.Quote(port.ToString(CultureInfo.InvariantCulture))}; n={RemoteCommands.Quote(user)}; sp={RemoteCommands.Quote(sourcePath)}; ")
        .Append($"k=\"{PeerKeyDir("$$")}\"; if [ -O \"$k\" ] && [ ! -L \"$k\" ]; then rm -rf -- \"$k\"; fi; mkdir -m 700 -- \"$k\" || exit {ExitWriteFailed}; ")
        .Append("trap 'trap \"\" HUP INT TERM; rm -rf -- \"$k\"; rm -f -- \"$t\"; rmdir -- \"$d\" 2>/dev/null' EXIT; ")
        .Append($"IFS= read -r l || exit {ExitNoUrl}; printf '%s\\n' \"$l\" > \"$k/kh\" || exit {ExitWriteFailed}; ")
        .Append($": > \"$k/id\" && chmod 600 -- \"$k/id\" || exit {ExitWriteFailed}; ")
        .Append("while IFS= read -r l; do printf '%s\\n' \"$l\" >> \"$k/id\"; case $l in \"-----END \"*) break;; esac; done; ")
        .Append(WatchdogAnd("rm -rf -- \"$k\"; "))
        .Append($"command -v sftp >/dev/null 2>&1 || exit {ExitNoPeerClient}; ")
        .Append("printf 'get \"%s\" \"%s\"\\n' \"$sp\" \"$t\" | sftp -q -b - -i \"$k/id\" -P \"$o\" ")
        .Append("-o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes -o StrictHostKeyChecking=yes -o UpdateHostKeys=no ")
        .Append($"-o HostKeyAlias={PeerAlias} -o CheckHostIP=no -o UserKnownHostsFile=\"$k/kh\" -o GlobalKnownHostsFile=/dev/null ")
        .Append("-o ConnectTimeout=15 -o ServerAliveInterval=15 -o ServerAliveCountMax=3 -o LogLevel=ERROR -- \"$n@$h\" >/dev/null 2>\"$k/e\"; r=$?; ")
        .Append("e=$(tail -n 1 -- \"$k/e\" | tr -d '\\r'); rm -rf -- \"$k\"; ")
        .Append("if [ $r -ne 0 ]; then printf 'PEER %s\\n' \"$e\"; ")
        .Append($"a=$(stat -c %s -- \"$t\" 2>/dev/null || echo 0); [ \"$a\" -gt 0 ] && exit {ExitPeerFailed}; exit {ExitPeerUnreachable}; fi; ")
        .Append(Finish(null))
        .ToString();

    /// <summary>
    /// The key directory of the transfer whose shell has pid <paramref name="pid"/> (shell text). A fixed name
    /// rather than <c>mktemp</c>, so <see cref="Kill"/> can remove it when the group had to be KILLed before its
    /// EXIT trap ran (e.g. while <c>sync</c> flushed a large file); <c>mkdir</c> refuses one that already exists.
    /// </summary>
    public static string PeerKeyDir(string pid) => "${TMPDIR:-/tmp}/stowage-peer." + pid;

    /// <summary>
    /// Whether a path can go into an sftp batch line between double quotes unchanged: sftp unescapes
    /// backslashes and globs remote paths, so paths with those characters are streamed instead.
    /// </summary>
    public static bool SafeForSftpBatch(string path) =>
        !path.Any(c => c is '"' or '\\' or '*' or '?' or '[' or ']' || char.IsControl(c));
}
