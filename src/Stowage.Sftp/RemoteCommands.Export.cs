using System.Globalization;

namespace Stowage.Sftp;

/// <summary>The script an export download runs on the storage host through an OpenSSH child (<see cref="OpenSshReadStream"/>).</summary>
internal static partial class RemoteCommands
{
    public const int ExitReadMissing = 66;
    public const int ExitReadDenied = 67;
    public const int ExitReadNoSize = 68;

    /// <summary>
    /// Prints the file's size on one line, then its bytes from <paramref name="offset"/> to the end. The size
    /// comes first so the HTTP answer can be checked against the recorded size before any byte is sent, and
    /// one round trip does both. <c>exec</c> leaves a single process on the host, so ending the channel ends it.
    /// </summary>
    public static string ReadFile(string path, long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        var read = offset == 0
            ? "exec cat -- \"$f\""
            : "exec tail -c +" + (offset + 1).ToString(CultureInfo.InvariantCulture) + " -- \"$f\"";
        return $"f={Quote(path)}; [ -f \"$f\" ] || exit {ExitReadMissing}; [ -r \"$f\" ] || exit {ExitReadDenied}; "
            + $"s=$(stat -L -c %s -- \"$f\") || exit {ExitReadNoSize}; printf '%s\\n' \"$s\"; {read}";
    }
}
