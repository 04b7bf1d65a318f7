namespace Stowage.Sftp;

/// <summary>
/// Shell quoting for the scripts of the image data path (<see cref="ImageCommands"/>): every value that
/// comes from outside goes through <see cref="Quote"/> exactly once, into a shell variable at the top of
/// the script. Connect, ping, capacity and the marker use SFTP requests instead (<see cref="SftpProbe"/>).
/// </summary>
internal static partial class RemoteCommands
{
    /// <summary>Name of the identity marker file inside the backup storage url.</summary>
    public const string MarkerFileName = ".stowage-backup-storage";

    /// <summary>The longest marker content read back; a uuid is 32 characters.</summary>
    public const int MarkerReadLimit = 256;

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
}
