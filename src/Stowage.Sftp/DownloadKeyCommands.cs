using System.Text;
using System.Text.RegularExpressions;

namespace Stowage.Sftp;

/// <summary>
/// Scripts that edit the storage user's <c>~/.ssh/authorized_keys</c> for direct fetch. The file is
/// rewritten to a temporary name in the same directory and renamed over the original, so sshd never sees
/// half a file; every line but the one carrying the tag is kept as it was. Values enter through
/// <see cref="RemoteCommands.Quote"/> once, into variables.
/// </summary>
internal static partial class DownloadKeyCommands
{
    public const int ExitNoSftpServer = 95;
    public const int ExitNoHome = 96;
    public const int ExitWriteFailed = 97;

    /// <summary>
    /// The requests the read-only session may make: enough for <c>sftp get</c> and <c>ls</c> (and the
    /// limits extension <c>sftp -R</c> asks for); everything else is refused by sftp-server itself.
    /// </summary>
    public const string AllowedRequests = "open,close,read,lstat,fstat,stat,opendir,readdir,realpath,readlink,limits,expand-path,home-directory,statvfs,fstatvfs";

    // Where distributions put OpenSSH's sftp-server; the first executable one wins.
    private const string SftpServers = "/usr/lib/openssh/sftp-server /usr/libexec/openssh/sftp-server /usr/lib/ssh/sftp-server /usr/libexec/sftp-server /usr/lib/sftp-server";

    [GeneratedRegex("^ssh-ed25519 [A-Za-z0-9+/]+={0,2}$")]
    private static partial Regex PublicKeyShape();

    [GeneratedRegex("^[a-z0-9-]{1,64}$")]
    private static partial Regex TagShape();

    /// <summary>Replaces the line tagged <paramref name="tag"/> by a read-only key for <paramref name="url"/>.</summary>
    public static string Install(string url, string publicKey, string tag)
    {
        if (!PublicKeyShape().IsMatch(publicKey))
        {
            throw new ArgumentException("not an ssh-ed25519 public key line without comment", nameof(publicKey));
        }

        return Edit(tag, ForcedArguments(url), publicKey);
    }

    /// <summary>Removes the line tagged <paramref name="tag"/>; a missing file or line is fine.</summary>
    public static string Remove(string tag) => Edit(tag, string.Empty, string.Empty);

    /// <summary>
    /// The sftp-server arguments after its path: <c>-R</c> read-only, <c>-d</c> start in the url, <c>-p</c>
    /// the request allow-list. sshd runs a forced command through the user's shell, so the url is shell-quoted;
    /// inside the authorized_keys option a double quote needs a backslash, and sftp-server expands % in -d.
    /// </summary>
    internal static string ForcedArguments(string url)
    {
        if (url.Any(char.IsControl))
        {
            throw new ArgumentException("a url with control characters cannot go into authorized_keys", nameof(url));
        }

        var dir = RemoteCommands.Quote(url.Replace("%", "%%", StringComparison.Ordinal)).Replace("\"", "\\\"", StringComparison.Ordinal);
        return $"-R -d {dir} -p {AllowedRequests}";
    }

    private static string Edit(string tag, string arguments, string publicKey)
    {
        if (!TagShape().IsMatch(tag))
        {
            throw new ArgumentException("a tag is lowercase letters, digits and dashes", nameof(tag));
        }

        return new StringBuilder()
            .Append($"LC_ALL=C; export LC_ALL; a={RemoteCommands.Quote(arguments)}; k={RemoteCommands.Quote(publicKey)}; g={RemoteCommands.Quote(tag)}; ")
            .Append("s=; if [ -n \"$k\" ]; then ")
            .Append($"for c in {SftpServers}; do if [ -x \"$c\" ]; then s=$c; break; fi; done; [ -n \"$s\" ] || exit {ExitNoSftpServer}; fi; ")
            .Append($"h=${{HOME:-}}; [ -n \"$h\" ] && [ -d \"$h\" ] || exit {ExitNoHome}; umask 077; mkdir -p -- \"$h/.ssh\" || exit {ExitWriteFailed}; ")
            .Append("f=\"$h/.ssh/authorized_keys\"; t=\"$h/.ssh/.authorized_keys.stowage.$$\"; ")
            .Append("[ -f \"$f\" ] || [ -n \"$k\" ] || exit 0; trap 'rm -f -- \"$t\"' EXIT; ")
            .Append($"if [ -f \"$f\" ]; then grep -v -e \"[[:space:]]$g\\$\" -- \"$f\" > \"$t\"; [ $? -le 1 ] || exit {ExitWriteFailed}; else : > \"$t\" || exit {ExitWriteFailed}; fi; ")
            .Append($"if [ -n \"$k\" ]; then printf 'restrict,command=\"%s %s\" %s %s\\n' \"$s\" \"$a\" \"$k\" \"$g\" >> \"$t\" || exit {ExitWriteFailed}; fi; ")
            .Append($"chmod 600 -- \"$t\" && mv -f -- \"$t\" \"$f\" || exit {ExitWriteFailed}")
            .ToString();
    }
}
